package io.portres.cli;

import io.portres.agent.backend.windows.WinErrors;
import io.portres.policy.AddressMatcher;
import io.portres.policy.ClassMatcher;
import io.portres.agent.backend.linux.PortRanges;
import io.portres.policy.Policy;
import io.portres.policy.PortSet;
import io.portres.policy.Problem;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.ReservationKind;
import io.portres.policy.Rule;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The checks {@code validate} and {@code doctor} make beyond the loader's: rules that can never match, and
 * reservations against this machine's port settings. Each finding is a warning {@link Problem} at the line of the
 * rule or reservation, in the loader's format.
 */
final class PolicyChecks {

    private PolicyChecks() {
    }

    /** A rule that an earlier rule always wins against: every bind it matches, the earlier one matches first. */
    static List<Problem> unreachableRules(Policy policy) {
        List<Problem> out = new ArrayList<Problem>();
        List<Rule> rules = policy.rules();
        for (int j = 0; j < rules.size(); j++) {
            Rule later = rules.get(j);
            for (int i = 0; i < j; i++) {
                Rule earlier = rules.get(i);
                if (covers(earlier, later)) {
                    out.add(warning(policy, later.line(), "rules[" + j + "]", "rule '" + later.name() + "' can never"
                            + " match: rule '" + earlier.name() + "' (line " + earlier.line() + ") comes first and"
                            + " matches every bind it matches; move it above '" + earlier.name() + "' or narrow '"
                            + earlier.name() + "'"));
                    break;
                }
            }
        }
        return out;
    }

    /** Whether {@code a} matches every bind that {@code b} matches (explicit binds, and implicit ones if b has them). */
    static boolean covers(Rule a, Rule b) {
        if (a.protocol() != b.protocol() || !covers(a.ports(), b.ports()) || !covers(a.address(), b.address())
                || !covers(a.classes(), b.classes())) {
            return false;
        }
        return !b.implicit() || a.implicit();
    }

    static boolean covers(PortSet a, PortSet b) {
        if (a == null) {
            return true;
        }
        if (b == null) {
            return a.contains(0) && covers(a.ranges(), 0, 65535);
        }
        int[] r = b.ranges();
        for (int k = 0; k < r.length; k += 2) {
            if (!covers(a.ranges(), r[k], r[k + 1])) {
                return false;
            }
        }
        return true;
    }

    /** Whether the sorted, merged ranges contain every port of {@code lo..hi}. */
    private static boolean covers(int[] ranges, int lo, int hi) {
        for (int k = 0; k < ranges.length; k += 2) {
            if (ranges[k] <= lo && hi <= ranges[k + 1]) {
                return true;
            }
        }
        return false;
    }

    static boolean covers(AddressMatcher a, AddressMatcher b) {
        return a.isAny() || a.describe().equals(b.describe());
    }

    /** By pattern: {@code org.apache.**} covers {@code org.apache.catalina.**} and {@code org.apache.X}. */
    static boolean covers(ClassMatcher a, ClassMatcher b) {
        if (a == null) {
            return true;
        }
        if (b == null) {
            return false;
        }
        for (String p : b.patterns()) {
            boolean covered = false;
            for (String q : a.patterns()) {
                if (q.equals(p) || q.equals("**")
                        || q.endsWith(".**") && p.startsWith(q.substring(0, q.length() - 2))) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                return false;
            }
        }
        return true;
    }

    /**
     * Each fixed block against the machine: inside the dynamic (ephemeral) range without being reserved, overlapping
     * a range reserved by someone else, or only partly reserved.
     */
    static List<Problem> againstMachine(Policy policy, OsReservations os) throws CliException {
        List<Problem> out = new ArrayList<Problem>();
        // read once per protocol: on Windows each list is a netsh run plus a lookup per persistent block
        Map<Protocol, List<OsReservations.Block>> lists = new EnumMap<Protocol, List<OsReservations.Block>>(
                Protocol.class);
        Map<Protocol, int[]> dynamicRanges = new EnumMap<Protocol, int[]>(Protocol.class);
        for (Reservation r : policy.reservations()) {
            if (r.kind() == ReservationKind.RUNTIME && r.startPort() == 0) {
                continue; // any free block: nothing fixed to check
            }
            if (!lists.containsKey(r.protocol())) {
                lists.put(r.protocol(), os.list(r.protocol()));
                dynamicRanges.put(r.protocol(), os.dynamicRange(r.protocol()));
            }
            String path = "reservations." + r.name();
            String head = "reservation '" + r.name() + "' (" + r.describe() + ")";
            int lo = r.startPort();
            int hi = r.endPort();
            List<OsReservations.Block> blocks = lists.get(r.protocol());
            boolean reserved = false;
            int reservedPorts = 0;
            for (OsReservations.Block b : blocks) {
                if (b.is(lo, hi) || "linux".equals(os.os()) && b.start <= lo && hi <= b.end()) {
                    reserved = true;
                } else if (b.overlaps(lo, hi)) {
                    if ("linux".equals(os.os())) {
                        reservedPorts += Math.min(hi, b.end()) - Math.max(lo, b.start) + 1;
                    } else {
                        out.add(warning(policy, r.line(), path, head + " overlaps the " + ("persistent".equals(b.kind)
                                ? "persistent reservation " : "excluded range (another process's runtime reservation,"
                                + " such as Hyper-V, WinNAT, WSL or Docker take) ") + b.protocol.id() + " " + b.ports()
                                + ": Windows will refuse to create it, and binds inside it may fail with WSAEACCES;"
                                + " choose a block clear of " + WinErrors.netshShow(r.protocol())));
                    }
                }
            }
            if (reservedPorts > 0 && !reserved) {
                out.add(warning(policy, r.line(), path, head + " is only partly in " + LinuxPorts.RESERVED_SYSCTL
                        + " (" + reservedPorts + " of " + r.count() + " ports): another entry covers part of it;"
                        + " reserve the whole block with: " + os.reserveCommand(policy, r)));
            }
            int[] dyn = dynamicRanges.get(r.protocol());
            if (dyn == null && "linux".equals(os.os()) && PortRanges.atRisk(reserved, null, lo, hi)) {
                out.add(warning(policy, r.line(), path, head + " is not reserved, and this machine's ephemeral port"
                        + " range (" + LinuxPorts.RANGE_SYSCTL + ") cannot be read: other processes' outgoing"
                        + " connections may take its ports; reserve it with: " + os.reserveCommand(policy, r)));
            } else if (dyn != null && PortRanges.atRisk(reserved, dyn, lo, hi)) {
                out.add(warning(policy, r.line(), path, head + " lies inside this machine's " + ("linux".equals(os.os())
                        ? "ephemeral port range " + dyn[0] + "-" + dyn[1] + " (" + LinuxPorts.RANGE_SYSCTL + ")"
                        : r.protocol().id() + " dynamic port range " + dyn[0] + "-" + dyn[1]) + " and is not reserved:"
                        + " other processes' outgoing connections may take its ports; reserve it with: "
                        + os.reserveCommand(policy, r)));
            }
        }
        return out;
    }

    static Problem warning(Policy policy, int line, String path, String message) {
        return new Problem(Problem.Severity.WARNING, policy.source(), line, line > 0 ? 1 : 0, path, message);
    }
}
