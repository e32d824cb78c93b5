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

    /** When the reading started ({@link System#nanoTime}): the table shows no socket bound after this. */
    final long readAt = System.nanoTime();
    private final BitSet timeWait = new BitSet();
    private final BitSet inUse = new BitSet();

    private SocketTable() {
    }

    /** Reads the tables of {@code protocol} under {@code procNet}; a missing IPv6 table (no IPv6) is empty. */
    public static SocketTable read(Path procNet, Protocol protocol) throws IOException {
        SocketTable t = new SocketTable();
        String base = protocol == Protocol.TCP ? "tcp" : "udp";
        for (String name : new String[] {base, base + "6"}) {
            byte[] text;
            try {
                text = Streams.readAll(new FileInputStream(procNet.resolve(name).toFile()));
            } catch (FileNotFoundException noIpv6) {
                continue;
            }
            t.parse(text, protocol == Protocol.TCP);
        }
        return t;
    }

    /**
     * Parses one table: a heading line, then {@code sl local_address rem_address st ...} per socket, the address and
     * port in hex. Scans the bytes (no string per line): with thousands of connections in TIME_WAIT the table is
     * large, and the agent reads it on a binding thread.
     */
    void parse(byte[] text, boolean tcp) {
        int i = next(text, 0); // line 0 is the heading
        while (i < text.length) {
            int p = skipToken(text, skipSpaces(text, i)); // sl
            p = skipSpaces(text, p);
            int localEnd = skipToken(text, p);
            int colon = lastColon(text, p, localEnd);
            int port = colon < 0 ? -1 : hex(text, colon + 1, localEnd);
            p = skipToken(text, skipSpaces(text, localEnd)); // rem_address
            p = skipSpaces(text, p);
            int state = hex(text, p, skipToken(text, p));
            if (port >= 0 && port <= 65535 && state >= 0) {
                (tcp && state == TCP_TIME_WAIT ? timeWait : inUse).set(port);
            }
            i = next(text, i);
        }
    }

    private static int next(byte[] t, int i) {
        while (i < t.length && t[i] != '\n') {
            i++;
        }
        return i + 1;
    }

    private static int skipSpaces(byte[] t, int i) {
        while (i < t.length && (t[i] == ' ' || t[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int skipToken(byte[] t, int i) {
        while (i < t.length && t[i] != ' ' && t[i] != '\t' && t[i] != '\n') {
            i++;
        }
        return i;
    }

    private static int lastColon(byte[] t, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (t[i] == ':') {
                return i;
            }
        }
        return -1;
    }

    /** The hex number in {@code t[from..to)}, or -1 if it is empty, not hex, or longer than 4 digits. */
    private static int hex(byte[] t, int from, int to) {
        if (to <= from || to - from > 4) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(t[i], 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
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
        t.parse(text.getBytes(StandardCharsets.US_ASCII), tcp);
        return t;
    }
}
