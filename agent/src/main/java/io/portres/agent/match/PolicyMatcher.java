package io.portres.agent.match;

import io.portres.policy.ClassMatcher;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Rule;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * First-match-wins rule matching in constant time per port.
 *
 * <p>For each protocol a table maps every port (0-65535) to the ordered list of rules whose port condition admits
 * it, so the cost of a bind does not grow with the number of rules: one array read, then the few candidates'
 * address checks, then (only if a candidate has a class condition) one stack walk shared by all candidates. A bind
 * that no candidate admits by protocol, port and address costs no stack walk and no allocation.
 */
public final class PolicyMatcher {

    /** Gives a candidate's class condition the caller frames. */
    public interface Frames {
        /** Every caller frame (up to the walk's limit), nearest first. */
        String[] frames();

        /**
         * Whether a caller frame satisfies {@code classes}. The dispatcher's implementation stops walking the stack
         * at the first frame that does, instead of walking it all.
         */
        default boolean anyMatches(ClassMatcher classes) {
            return classes.matchesAny(frames());
        }
    }

    private static final Rule[] NONE = new Rule[0];

    private final PortTable tcp;
    private final PortTable udp;
    /** Rules with {@code implicit: true} that admit port 0, in policy order (TCP only: implicit binds are TCP). */
    private final Rule[] implicitRules;

    public PolicyMatcher(Policy policy) {
        List<Rule> tcpRules = new ArrayList<Rule>();
        List<Rule> udpRules = new ArrayList<Rule>();
        List<Rule> implicit = new ArrayList<Rule>();
        for (Rule r : policy.rules()) {
            (r.protocol() == Protocol.TCP ? tcpRules : udpRules).add(r);
            if (r.implicit() && r.protocol() == Protocol.TCP && (r.ports() == null || r.ports().contains(0))) {
                implicit.add(r);
            }
        }
        tcp = new PortTable(tcpRules);
        udp = new PortTable(udpRules);
        implicitRules = implicit.toArray(NONE);
    }

    /** Could a rule of this protocol match? Port and address only: no stack walk, no allocation. */
    public boolean mayMatch(Protocol protocol, InetAddress address, int port) {
        return table(protocol).admits(address, port);
    }

    /** Could a rule of either protocol match? For binds whose protocol costs a system call to learn. */
    public boolean mayMatchEither(InetAddress address, int port) {
        return tcp.admits(address, port) || udp.admits(address, port);
    }

    public boolean hasImplicitRules() {
        return implicitRules.length > 0;
    }

    /** The first rule that matches an explicit bind, or null; never the JDK's own pipes ({@link JdkPlumbing}). */
    public Rule match(Protocol protocol, InetAddress address, int port, Frames frames) {
        Rule[] candidates = table(protocol).candidates(port);
        if (candidates.length > 0 && protocol == Protocol.TCP && JdkPlumbing.isPipe(address, port)) {
            return null;
        }
        return first(candidates, address, frames);
    }

    /** The first {@code implicit: true} rule that matches an unbound TCP socket about to connect, or null. */
    public Rule matchImplicit(Frames frames) {
        if (implicitRules.length == 0 || JdkPlumbing.pipeConnect()) {
            return null; // the pipe's client end connects unbound too
        }
        return first(implicitRules, null, frames);
    }

    /** Every rule that admits this protocol and port, in policy order (for explain tools). */
    public List<Rule> candidates(Protocol protocol, int port) {
        return Arrays.asList(table(protocol).candidates(port));
    }

    private static Rule first(Rule[] candidates, InetAddress address, Frames frames) {
        for (Rule r : candidates) {
            if (!r.address().matches(address)) {
                continue;
            }
            if (r.classes() != null && !frames.anyMatches(r.classes())) {
                continue;
            }
            return r;
        }
        return null;
    }

    private PortTable table(Protocol p) {
        return p == Protocol.TCP ? tcp : udp;
    }

    /** port -> group id -> ordered candidate rules; identical candidate lists share one group. */
    static final class PortTable {
        final char[] groupOfPort = new char[65536];
        final Rule[][] groups;

        PortTable(List<Rule> rules) {
            // Sweep the port line once: at each boundary the set of active rules changes.
            int[] boundaries = boundaries(rules);
            List<Rule[]> groupList = new ArrayList<Rule[]>();
            Map<List<Rule>, Character> ids = new HashMap<List<Rule>, Character>();
            groupList.add(NONE);
            ids.put(new ArrayList<Rule>(), (char) 0);
            BitSet active = new BitSet(rules.size());
            List<int[]> starts = new ArrayList<int[]>(); // [port, ruleIndex, +1/-1]
            for (int i = 0; i < rules.size(); i++) {
                Rule r = rules.get(i);
                int[] ranges = r.ports() == null ? new int[] {0, 65535} : r.ports().ranges();
                for (int k = 0; k < ranges.length; k += 2) {
                    starts.add(new int[] {ranges[k], i, 1});
                    if (ranges[k + 1] < 65535) {
                        starts.add(new int[] {ranges[k + 1] + 1, i, -1});
                    }
                }
            }
            java.util.Collections.sort(starts, new java.util.Comparator<int[]>() {
                @Override
                public int compare(int[] a, int[] b) {
                    return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[2], b[2]);
                }
            });
            int e = 0;
            for (int b = 0; b < boundaries.length; b++) {
                int from = boundaries[b];
                int to = b + 1 < boundaries.length ? boundaries[b + 1] - 1 : 65535;
                while (e < starts.size() && starts.get(e)[0] == from) {
                    int[] ev = starts.get(e++);
                    if (ev[2] > 0) {
                        active.set(ev[1]);
                    } else {
                        active.clear(ev[1]);
                    }
                }
                List<Rule> key = new ArrayList<Rule>(active.cardinality());
                for (int i = active.nextSetBit(0); i >= 0; i = active.nextSetBit(i + 1)) {
                    key.add(rules.get(i));
                }
                Character id = ids.get(key);
                if (id == null) {
                    id = (char) groupList.size();
                    groupList.add(key.toArray(NONE));
                    ids.put(key, id);
                }
                Arrays.fill(groupOfPort, from, to + 1, id);
            }
            groups = groupList.toArray(new Rule[0][]);
        }

        private static int[] boundaries(List<Rule> rules) {
            BitSet b = new BitSet(65537);
            b.set(0);
            for (Rule r : rules) {
                if (r.ports() == null) {
                    continue;
                }
                int[] ranges = r.ports().ranges();
                for (int k = 0; k < ranges.length; k += 2) {
                    b.set(ranges[k]);
                    if (ranges[k + 1] < 65535) {
                        b.set(ranges[k + 1] + 1);
                    }
                }
            }
            int[] out = new int[b.cardinality()];
            int n = 0;
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
                out[n++] = i;
            }
            return out;
        }

        Rule[] candidates(int port) {
            return groups[groupOfPort[port & 0xFFFF]];
        }

        boolean admits(InetAddress address, int port) {
            for (Rule r : candidates(port)) {
                if (r.address().matches(address)) {
                    return true;
                }
            }
            return false;
        }
    }
}
