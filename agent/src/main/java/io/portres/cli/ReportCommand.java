package io.portres.cli;

import io.portres.policy.Policy;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code portres report EVENTS [--policy P] [--json]}: what an events file says, per reservation (ports used, the
 * most a process held against the block's size) and per rule (matched, associated, audited, failed, continued), and
 * the binds that failed or went ahead without their reservation, with why.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Summarizes an events file (log.events of a policy).",
                "Per reservation: the ports bound in it, and the most ports one process bound in it at once against"
                        + " the block's size (the events record binds, not closes: an upper bound). Per rule: matched,"
                        + " associated, audited, failed and continued binds. Then every failed or continued bind, with"
                        + " why.",
                "Exit status: 0 no bind failed or went ahead without its reservation, 1 some did, 2 bad usage or an"
                        + " unreadable file."},
        footer = {"%nExample:%n  java -jar portres-agent.jar report events.jsonl --policy policy.yaml"})
final class ReportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "EVENTS", description = "the events file (JSON lines)")
    Path events;

    @Option(names = "--policy", paramLabel = "POLICY", description = "the policy, for the blocks' sizes and the rules"
            + " that matched nothing")
    Path policyFile;

    @Option(names = "--json", description = "one JSON object on standard output instead of text")
    boolean json;

    @Spec
    CommandSpec spec;

    static final String[] OUTCOMES = {"associated", "audited", "failed", "continued"};

    @Override
    public Integer call() throws CliException {
        Policy policy = policyFile == null ? null : ExplainCommand.load(policyFile);
        Map<String, Object> report = report(JsonLines.read(events), policy);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JsonWriter.write(report));
        } else {
            print(out, report);
        }
        return ((List<?>) report.get("problems")).isEmpty() ? Main.OK : Main.FOUND_PROBLEMS;
    }

    /** The report as maps and lists, in a fixed order (text and {@code --json} print the same). */
    static Map<String, Object> report(List<Map<String, Object>> events, Policy policy) {
        // reservation -> pid -> ports
        Map<String, Map<Long, TreeSet<Integer>>> held = new TreeMap<String, Map<Long, TreeSet<Integer>>>();
        Map<String, TreeSet<Integer>> used = new TreeMap<String, TreeSet<Integer>>();
        Map<String, long[]> rules = new LinkedHashMap<String, long[]>();
        Map<String, String> ruleReservation = new LinkedHashMap<String, String>();
        if (policy != null) {
            for (Rule r : policy.rules()) {
                rules.put(r.name(), new long[1 + OUTCOMES.length]);
                ruleReservation.put(r.name(), r.reservation().name());
            }
            for (Reservation r : policy.reservations()) {
                used.put(r.name(), new TreeSet<Integer>());
            }
        }
        List<Object> problems = new ArrayList<Object>();
        int binds = 0;
        TreeSet<Long> pids = new TreeSet<Long>();
        for (Map<String, Object> e : events) {
            String rule = JsonLines.string(e, "rule");
            String outcome = JsonLines.string(e, "outcome");
            if (rule == null || outcome == null) {
                continue; // a reload line
            }
            binds++;
            String reservation = JsonLines.string(e, "reservation");
            long pid = e.get("pid") instanceof Number ? ((Number) e.get("pid")).longValue() : 0;
            pids.add(pid);
            long[] c = rules.get(rule);
            if (c == null) {
                rules.put(rule, c = new long[1 + OUTCOMES.length]);
                ruleReservation.put(rule, reservation);
            }
            c[0]++;
            for (int i = 0; i < OUTCOMES.length; i++) {
                if (OUTCOMES[i].equals(outcome)) {
                    c[1 + i]++;
                }
            }
            int bound = JsonLines.integer(e, "boundPort", -1);
            if (bound >= 0 && reservation != null && inBlock(policy, reservation, bound)) {
                TreeSet<Integer> u = used.get(reservation);
                if (u == null) {
                    used.put(reservation, u = new TreeSet<Integer>());
                }
                u.add(bound);
                Map<Long, TreeSet<Integer>> byPid = held.get(reservation);
                if (byPid == null) {
                    held.put(reservation, byPid = new TreeMap<Long, TreeSet<Integer>>());
                }
                TreeSet<Integer> p = byPid.get(pid);
                if (p == null) {
                    byPid.put(pid, p = new TreeSet<Integer>());
                }
                p.add(bound);
            }
            if ("failed".equals(outcome) || "continued".equals(outcome) || JsonLines.string(e, "error") != null) {
                Map<String, Object> p = new LinkedHashMap<String, Object>();
                p.put("time", JsonLines.string(e, "time"));
                p.put("pid", pid);
                p.put("thread", JsonLines.string(e, "thread"));
                p.put("bind", JsonLines.string(e, "protocol") + " " + (e.get("address") == null ? "(implicit)"
                        : JsonLines.string(e, "address") + ":" + JsonLines.integer(e, "port", 0)));
                p.put("rule", rule);
                p.put("reservation", reservation);
                p.put("outcome", outcome);
                p.put("caller", JsonLines.string(e, "caller"));
                p.put("error", JsonLines.string(e, "error"));
                problems.add(p);
            }
        }
        List<Object> reservations = new ArrayList<Object>();
        for (Map.Entry<String, TreeSet<Integer>> u : used.entrySet()) {
            Map<String, Object> r = new LinkedHashMap<String, Object>();
            Reservation def = reservation(policy, u.getKey());
            r.put("reservation", u.getKey());
            r.put("block", def == null ? null : def.describe());
            r.put("size", def == null ? null : def.count());
            r.put("portsUsed", u.getValue().size());
            r.put("ports", ranges(u.getValue()));
            int peak = 0;
            Map<Long, TreeSet<Integer>> byPid = held.get(u.getKey());
            if (byPid != null) {
                for (TreeSet<Integer> p : byPid.values()) {
                    peak = Math.max(peak, p.size());
                }
            }
            r.put("peakInUse", peak);
            reservations.add(r);
        }
        List<Object> ruleList = new ArrayList<Object>();
        for (Map.Entry<String, long[]> c : rules.entrySet()) {
            Map<String, Object> r = new LinkedHashMap<String, Object>();
            r.put("rule", c.getKey());
            r.put("reservation", ruleReservation.get(c.getKey()));
            r.put("matched", c.getValue()[0]);
            for (int i = 0; i < OUTCOMES.length; i++) {
                r.put(OUTCOMES[i], c.getValue()[1 + i]);
            }
            ruleList.add(r);
        }
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("binds", binds);
        m.put("processes", pids.size());
        m.put("reservations", reservations);
        m.put("rules", ruleList);
        m.put("problems", problems);
        return m;
    }

    private static Reservation reservation(Policy policy, String name) {
        if (policy != null) {
            for (Reservation r : policy.reservations()) {
                if (r.name().equals(name)) {
                    return r;
                }
            }
        }
        return null;
    }

    /** Without the policy every bound port counts; with it, only those inside the reservation's block. */
    private static boolean inBlock(Policy policy, String name, int port) {
        Reservation r = reservation(policy, name);
        return r == null || r.startPort() == 0 || port >= r.startPort() && port <= r.endPort();
    }

    /** {@code 26000-26003, 26007}. */
    static String ranges(TreeSet<Integer> ports) {
        StringBuilder sb = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (Integer p : ports) {
            if (prev != null && p == prev + 1) {
                prev = p;
                continue;
            }
            if (start != null) {
                sb.append(sb.length() > 0 ? ", " : "").append(start.equals(prev) ? "" + start : start + "-" + prev);
            }
            start = p;
            prev = p;
        }
        if (start != null) {
            sb.append(sb.length() > 0 ? ", " : "").append(start.equals(prev) ? "" + start : start + "-" + prev);
        }
        return sb.toString();
    }

    /** How full the block got: " of 10", " of 10: nearly full", ...; a one-port block is full by design. */
    private static String fill(int peak, Integer size) {
        if (size == null) {
            return " (block size unknown: give --policy)";
        }
        if (size > 1 && peak >= size) {
            return " of " + size + ": FULL, binds beyond it fail (onError: fail) or go ahead outside it (continue);"
                    + " widen the block";
        }
        return " of " + size + (size > 1 && peak * 5 >= size * 4 ? ": nearly full" : "");
    }

    @SuppressWarnings("unchecked")
    private static void print(PrintWriter out, Map<String, Object> report) {
        out.println(report.get("binds") + " matched binds from " + report.get("processes") + " process"
                + (((Number) report.get("processes")).intValue() == 1 ? "" : "es"));
        out.println("reservations (ports bound in the block; peak: the most one process bound, an upper bound of"
                + " those in use at once):");
        for (Object o : (List<Object>) report.get("reservations")) {
            Map<String, Object> r = (Map<String, Object>) o;
            int used = ((Number) r.get("portsUsed")).intValue();
            int peak = ((Number) r.get("peakInUse")).intValue();
            out.println("  " + r.get("reservation") + (r.get("block") == null ? "" : " (" + r.get("block") + ")")
                    + ": " + used + " ports used" + (used == 0 ? "" : " (" + r.get("ports") + ")") + ", peak " + peak
                    + fill(peak, (Integer) r.get("size")));
        }
        out.println("rules (matched: associated, audited, failed, continued):");
        for (Object o : (List<Object>) report.get("rules")) {
            Map<String, Object> r = (Map<String, Object>) o;
            out.println("  " + r.get("rule") + " -> " + r.get("reservation") + ": " + r.get("matched") + " matched: "
                    + r.get("associated") + " associated, " + r.get("audited") + " audited, " + r.get("failed")
                    + " failed, " + r.get("continued") + " continued"
                    + (((Number) r.get("matched")).longValue() == 0 ? " (never matched)" : ""));
        }
        List<Object> problems = (List<Object>) report.get("problems");
        if (problems.isEmpty()) {
            out.println("no bind failed or went ahead without its reservation");
            return;
        }
        out.println(problems.size() + " binds failed or went ahead without their reservation:");
        for (Object o : problems) {
            Map<String, Object> p = (Map<String, Object>) o;
            out.println("  " + p.get("time") + " pid " + p.get("pid") + " thread " + p.get("thread") + ": "
                    + p.get("bind") + ", rule " + p.get("rule") + ", " + p.get("outcome") + (p.get("caller") == null
                    ? "" : ", caller " + p.get("caller")) + ": " + p.get("error"));
        }
    }
}
