package io.portres.agent.backend.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * The value of {@code net.ipv4.ip_local_reserved_ports} (TCP and UDP, IPv4 and IPv6 alike): comma-separated ports
 * and ranges, e.g. {@code 8080,50000-50099}. The kernel never hands these out as ephemeral ports; explicit binds to
 * them still work. Immutable; {@link #with} merges a block in without dropping anyone else's entries.
 */
public final class ReservedPorts {

    private final int[] ranges; // sorted, merged, flat [lo, hi, lo, hi, ...]

    private ReservedPorts(int[] ranges) {
        this.ranges = ranges;
    }

    public static ReservedPorts parse(String text) {
        List<int[]> list = new ArrayList<int[]>();
        for (String part : text.trim().split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            try {
                int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
                if (lo >= 0 && hi <= 65535 && lo <= hi) {
                    list.add(new int[] {lo, hi});
                }
            } catch (NumberFormatException ignored) {
                // the kernel only ever writes numbers; skip anything else
            }
        }
        return new ReservedPorts(merge(list));
    }

    /** True when every port of {@code lo..hi} is reserved. */
    public boolean covers(int lo, int hi) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] <= lo && hi <= ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** This set plus {@code lo..hi}. */
    public ReservedPorts with(int lo, int hi) {
        List<int[]> list = new ArrayList<int[]>();
        for (int i = 0; i < ranges.length; i += 2) {
            list.add(new int[] {ranges[i], ranges[i + 1]});
        }
        list.add(new int[] {lo, hi});
        return new ReservedPorts(merge(list));
    }

    private static int[] merge(List<int[]> list) {
        java.util.Collections.sort(list, new java.util.Comparator<int[]>() {
            @Override
            public int compare(int[] a, int[] b) {
                return Integer.compare(a[0], b[0]);
            }
        });
        List<int[]> out = new ArrayList<int[]>();
        for (int[] r : list) {
            if (!out.isEmpty() && r[0] <= out.get(out.size() - 1)[1] + 1) {
                int[] last = out.get(out.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            } else {
                out.add(new int[] {r[0], r[1]});
            }
        }
        int[] flat = new int[out.size() * 2];
        for (int i = 0; i < out.size(); i++) {
            flat[2 * i] = out.get(i)[0];
            flat[2 * i + 1] = out.get(i)[1];
        }
        return flat;
    }

    /** The kernel's syntax. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranges.length; i += 2) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(ranges[i]);
            if (ranges[i + 1] != ranges[i]) {
                sb.append('-').append(ranges[i + 1]);
            }
        }
        return sb.toString();
    }
}
