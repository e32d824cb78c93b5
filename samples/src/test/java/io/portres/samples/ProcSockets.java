package io.portres.samples;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The sockets one process has bound, from Linux's /proc: the rows of {@code /proc/<pid>/net/tcp, tcp6, udp, udp6}
 * (which list the whole network namespace) whose inode is one of the process's {@code /proc/<pid>/fd} sockets.
 */
final class ProcSockets {

    /** A socket bound by the process: {@code tcp 127.0.0.1:18180}. IPv4-mapped IPv6 addresses read as IPv4. */
    record BoundSocket(String protocol, String address, int port) {
        @Override
        public String toString() {
            return protocol + " " + (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
        }
    }

    private record Row(BoundSocket socket, boolean listening) {
    }

    private static final String TCP_LISTEN = "0A";

    private ProcSockets() {
    }

    /**
     * Every UDP socket and every listening TCP socket of the process, and its TCP client sockets (connected from a
     * port that none of its listeners has). Connections accepted by a listener share its port and are left out, as
     * are TCP sockets bound but neither listening nor connected (the kernel does not list them).
     */
    static List<BoundSocket> of(long pid) throws IOException {
        Set<String> inodes = socketInodes(pid);
        List<Row> rows = new ArrayList<>();
        for (String file : new String[] {"tcp", "tcp6", "udp", "udp6"}) {
            rows.addAll(rows(pid, file, inodes));
        }
        Set<Integer> listeningPorts = new HashSet<>();
        rows.stream().filter(Row::listening).forEach(r -> listeningPorts.add(r.socket().port()));
        List<BoundSocket> bound = new ArrayList<>();
        for (Row r : rows) {
            BoundSocket s = r.socket();
            if (s.protocol().equals("udp") || r.listening() || !listeningPorts.contains(s.port())) {
                bound.add(s);
            }
        }
        return bound;
    }

    private static Set<String> socketInodes(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException closedMeanwhile) {
                    continue;
                }
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring("socket:[".length(), target.length() - 1));
                }
            }
        }
        return inodes;
    }

    private static List<Row> rows(long pid, String file, Set<String> inodes) throws IOException {
        boolean tcp = file.startsWith("tcp");
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(Paths.get("/proc", Long.toString(pid), "net", file),
                StandardCharsets.US_ASCII);
        for (String line : lines.subList(1, lines.size())) {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            String[] f = line.trim().split("\\s+");
            if (!inodes.contains(f[9])) {
                continue;
            }
            String[] local = f[1].split(":");
            int port = Integer.parseInt(local[1], 16);
            rows.add(new Row(new BoundSocket(tcp ? "tcp" : "udp", address(local[0]), port),
                    tcp && f[3].equals(TCP_LISTEN)));
        }
        return rows;
    }

    /** The kernel prints an address as 32-bit words in host byte order (little-endian here), each as 8 hex digits. */
    private static String address(String hex) throws IOException {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = (word * 4 + 3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return InetAddress.getByAddress(bytes).getHostAddress();
    }
}
