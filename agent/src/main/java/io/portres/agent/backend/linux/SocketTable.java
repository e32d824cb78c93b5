package io.portres.agent.backend.linux;

import io.portres.agent.Streams;
import io.portres.policy.Protocol;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.BitSet;

/**
 * The local ports that sockets of one protocol hold in this network namespace, IPv4 and IPv6, read from
 * {@code /proc/net/tcp}, {@code tcp6} (or {@code udp}, {@code udp6}), with TCP connections in {@code TIME_WAIT}
 * told apart from every other socket. It sees listening, connected and closing sockets; a socket that is bound but
 * neither listens nor is connected is not in these tables. Used by the Linux backend (which ports of a block only
 * TIME_WAIT connections hold) and by {@code portres doctor}.
 */
public final class SocketTable {

    public static final Path PROC_NET = Paths.get("/proc/net");
    /** The {@code st} column of a TCP connection in TIME_WAIT. */
    private static final int TCP_TIME_WAIT = 0x06;

    private final BitSet timeWait = new BitSet();
    private final BitSet inUse = new BitSet();

    private SocketTable() {
    }

    /** Reads the tables of {@code protocol} under {@code procNet}; a missing IPv6 table (no IPv6) is empty. */
    public static SocketTable read(Path procNet, Protocol protocol) throws IOException {
        SocketTable t = new SocketTable();
        String base = protocol == Protocol.TCP ? "tcp" : "udp";
        for (String name : new String[] {base, base + "6"}) {
            String text;
            try {
                text = new String(Streams.readAll(new FileInputStream(procNet.resolve(name).toFile())),
                        StandardCharsets.US_ASCII);
            } catch (FileNotFoundException noIpv6) {
                continue;
            }
            t.parse(text, protocol == Protocol.TCP);
        }
        return t;
    }

    /** Parses one table: a heading line, then {@code sl local_address rem_address st ...} per socket. */
    void parse(String text, boolean tcp) {
        int lineStart = text.indexOf('\n') + 1; // line 0 is the heading
        while (lineStart > 0 && lineStart < text.length()) {
            int end = text.indexOf('\n', lineStart);
            String[] f = text.substring(lineStart, end < 0 ? text.length() : end).trim().split("\\s+");
            lineStart = end + 1;
            if (f.length < 4) {
                continue;
            }
            int colon = f[1].lastIndexOf(':'); // local_address: hex address ':' hex port
            try {
                int port = Integer.parseInt(f[1].substring(colon + 1), 16);
                int state = Integer.parseInt(f[3], 16);
                (tcp && state == TCP_TIME_WAIT ? timeWait : inUse).set(port);
            } catch (RuntimeException notASocketLine) {
                // skipped
            }
        }
    }

    /** Some socket other than a TIME_WAIT connection holds the port (listening, connected, closing, UDP). */
    public boolean inUse(int port) {
        return inUse.get(port);
    }

    /** A TCP connection in TIME_WAIT holds the port. */
    public boolean timeWait(int port) {
        return timeWait.get(port);
    }

    /** TIME_WAIT connections and nothing else hold the port. */
    public boolean onlyTimeWait(int port) {
        return timeWait.get(port) && !inUse.get(port);
    }

    /** The ports held by anything (TIME_WAIT included). */
    public BitSet held() {
        BitSet all = (BitSet) inUse.clone();
        all.or(timeWait);
        return all;
    }

    static SocketTable parsed(String text, boolean tcp) {
        SocketTable t = new SocketTable();
        t.parse(text, tcp);
        return t;
    }
}
