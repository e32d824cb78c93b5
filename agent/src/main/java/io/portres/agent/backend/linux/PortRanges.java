package io.portres.agent.backend.linux;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * An immutable set of ports (0-65535) in the kernel's list syntax: comma-separated ports and inclusive ranges,
 * {@code 8080,50000-50099}. The value of {@code net.ipv4.ip_local_reserved_ports} (TCP and UDP, IPv4 and IPv6
 * alike: the kernel never hands these out as ephemeral ports, explicit binds to them still work); {@link #with}
 * merges a block in without dropping anyone else's entries. Used by the Linux backend and the CLI.
 */
public final class PortRanges {

    public static final PortRanges EMPTY = new PortRanges(new BitSet());

    private final BitSet ports;

    private PortRanges(BitSet ports) {
        this.ports = ports;
    }

    /**
     * Parses the kernel's syntax (spaces, tabs and newlines also separate entries).
     *
     * @throws IllegalArgumentException naming the entry that is not a port or an ascending range of ports
     */
    public static PortRanges parse(String text) {
        BitSet bits = new BitSet();
        for (String part : text.trim().split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int lo = port(part, dash < 0 ? part : part.substring(0, dash));
            int hi = dash < 0 ? lo : port(part, part.substring(dash + 1));
            if (lo > hi) {
                throw new IllegalArgumentException("'" + part + "' is not an ascending range");
            }
            bits.set(lo, hi + 1);
        }
        return new PortRanges(bits);
    }

    private static int port(String entry, String digits) {
        try {
            int p = Integer.parseInt(digits);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new IllegalArgumentException("'" + entry + "' is not a port (0-65535) or a range of ports");
    }

    /** The ports {@code lo..hi}. */
    public static PortRanges of(int lo, int hi) {
        BitSet bits = new BitSet();
        bits.set(lo, hi + 1);
        return new PortRanges(bits);
    }

    /**
     * Whether other processes' ephemeral ports may take ports of the block {@code lo..hi}: it is not wholly reserved
     * ({@code net.ipv4.ip_local_reserved_ports}) and it overlaps the ephemeral range ({@code ip_local_port_range},
     * the only ports Linux hands out for port 0 and unbound connects), or that range is unknown ({@code null}). A block
     * outside the range is safe unreserved. The agent, {@code validate} and {@code doctor} all decide with this.
     */
    public static boolean atRisk(boolean reserved, int[] ephemeral, int lo, int hi) {
        return !reserved && (ephemeral == null || lo <= ephemeral[1] && hi >= ephemeral[0]);
    }

    public boolean isEmpty() {
        return ports.isEmpty();
    }

    /** Whether every port of {@code lo..hi} is in the set. */
    public boolean covers(int lo, int hi) {
        return ports.nextClearBit(lo) > hi;
    }

    /** Whether some port of {@code lo..hi} is in the set. */
    public boolean overlaps(int lo, int hi) {
        int next = ports.nextSetBit(lo);
        return next >= 0 && next <= hi;
    }

    public PortRanges with(int lo, int hi) {
        BitSet bits = (BitSet) ports.clone();
        bits.set(lo, hi + 1);
        return new PortRanges(bits);
    }

    public PortRanges without(int lo, int hi) {
        BitSet bits = (BitSet) ports.clone();
        bits.clear(lo, hi + 1);
        return new PortRanges(bits);
    }

    /** The maximal runs of consecutive ports, ascending: {@code [lo, hi]} each. */
    public List<int[]> ranges() {
        List<int[]> out = new ArrayList<int[]>();
        for (int lo = ports.nextSetBit(0); lo >= 0; ) {
            int end = ports.nextClearBit(lo); // exclusive
            out.add(new int[] {lo, end - 1});
            lo = ports.nextSetBit(end);
        }
        return out;
    }

    /** The kernel's syntax: {@code 8080,50000-50099}; empty for no ports. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int[] r : ranges()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(range(r[0], r[1]));
        }
        return sb.toString();
    }

    /** {@code "8080"} or {@code "50000-50099"}. */
    public static String range(int lo, int hi) {
        return lo == hi ? Integer.toString(lo) : lo + "-" + hi;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortRanges && ports.equals(((PortRanges) o).ports);
    }

    @Override
    public int hashCode() {
        return ports.hashCode();
    }
}
