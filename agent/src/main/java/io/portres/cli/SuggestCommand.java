package io.portres.cli;

import io.portres.policy.ClassMatcher;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;
import io.portres.policy.Protocol;
import io.portres.policy.Rule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code portres suggest DISCOVERY --tcp-block S-E [--udp-block S-E] [-o policy.yaml]}: a draft policy from what
 * {@code discover=<file>} recorded. Fixed-port binds keep their ports (a comment, or one-port reservations with
 * {@code --reserve-fixed}); wildcard and implicit binds are grouped by the class that made them (the nearest frame
 * outside the JDK's own plumbing) and each group becomes a rule into the block of its protocol, with the shortest
 * package glob that tells it from the other groups. The draft is checked with {@code explain}'s own conditions
 * before it is written: every discovered bind must match its group's rule. Same input, same output.
 */
@Command(name = "suggest", mixinStandardHelpOptions = true,
        description = {"Drafts a policy from a discovery file (the agent's discover=<file>).",
                "Fixed-port binds keep their ports (listed in the header, or one-port reservations with"
                        + " --reserve-fixed). Wildcard (port 0) and implicit binds are grouped by the class that made"
                        + " them, each group a rule into the block of its protocol, matched by the shortest package"
                        + " globs that tell the groups apart (never a glob that also matches the JDK's own"
                        + " plumbing). The header says what was seen. Every discovered bind is checked against the"
                        + " draft with explain's conditions.",
                "Exit status: 0 the draft is written, 1 some binds could not be told apart (the draft is written,"
                        + " its header says which), 2 bad usage or an unreadable file."},
        footer = {"%nExample:%n  java -jar portres-agent.jar suggest discovery.jsonl --tcp-block 26000-26009"
                + " -o policy.yaml"})
final class SuggestCommand implements Callable<Integer> {

    /** Frames that say nothing about who binds: threads, executors, reflection, class loading. */
    static final String[] PLUMBING = {
        "java.lang.", "java.util.", "java.security.", "java.io.", "java.nio.", "jdk.internal.", "sun.reflect.",
        "sun.misc.", "javax.security.", "jdk.proxy", "com.sun.proxy.", "sun.nio.", "sun.net.", "java.net.",
        "javax.net.", "sun.security.",
    };
    static final String DEFAULT_SCHEMA = "policy.schema.json";

    @Parameters(index = "0", paramLabel = "DISCOVERY", description = "the discovery file (JSON lines)")
    Path discovery;

    @Option(names = "--tcp-block", paramLabel = "START-END", description = "the block for TCP wildcard and implicit"
            + " binds (needed when there are some)")
    String tcpBlock;

    @Option(names = "--udp-block", paramLabel = "START-END", description = "the block for UDP wildcard binds (needed"
            + " when there are some)")
    String udpBlock;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the draft there (default: standard"
            + " output); the schema is written next to it as " + DEFAULT_SCHEMA + " unless that file exists")
    Path output;

    @Option(names = "--reserve-fixed", description = "give each fixed port a one-port reservation and a rule (by"
            + " default they are listed in the header and left alone)")
    boolean reserveFixed;

    @Option(names = "--schema", paramLabel = "PATH|URL", description = "the $schema of the draft's first line"
            + " (default: " + DEFAULT_SCHEMA + ")")
    String schema = DEFAULT_SCHEMA;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        int[] tcp = tcpBlock == null ? null : block("--tcp-block", tcpBlock);
        int[] udp = udpBlock == null ? null : block("--udp-block", udpBlock);
        List<Map<String, Object>> records = JsonLines.read(discovery);
        Draft d = draft(records, discovery.getFileName().toString(), tcp, udp, reserveFixed, schema);
        for (Protocol p : Protocol.values()) {
            if (d.groups(p) > 0 && (p == Protocol.TCP ? tcp : udp) == null) {
                throw new CliException("the discovery has " + d.binds(p) + " " + p.id() + " wildcard or implicit"
                        + " binds: give --" + p.id() + "-block START-END, a block for them");
            }
        }
        if (output == null) {
            spec.commandLine().getOut().print(d.yaml);
        } else {
            try {
                Files.write(output, d.yaml.getBytes(StandardCharsets.UTF_8));
                Path schemaFile = output.toAbsolutePath().resolveSibling(DEFAULT_SCHEMA);
                if (DEFAULT_SCHEMA.equals(schema) && !Files.exists(schemaFile)) {
                    try (InputStream in = PolicyLoader.class.getClassLoader().getResourceAsStream(
                            PolicyLoader.SCHEMA_RESOURCE)) {
                        if (in != null) {
                            Files.copy(in, schemaFile);
                        }
                    }
                }
            } catch (IOException e) {
                throw new CliException(output + ": cannot write: " + e);
            }
            PrintWriter err = spec.commandLine().getErr();
            err.println("wrote " + output + ": " + d.summary);
        }
        return d.unresolved.isEmpty() ? Main.OK : Main.FOUND_PROBLEMS;
    }

    static int[] block(String option, String s) throws CliException {
        String[] parts = s.trim().split("-");
        try {
            if (parts.length == 2) {
                int lo = Integer.parseInt(parts[0].trim());
                int hi = Integer.parseInt(parts[1].trim());
                if (lo >= 1 && lo <= hi && hi <= 65535) {
                    return new int[] {lo, hi};
                }
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new CliException(option + " " + s + ": give START-END, two ports with 1 <= START <= END <= 65535");
    }

    // ------------------------------------------------------------------ the draft

    /** One discovered bind, as suggest needs it. */
    static final class Bind {
        final Protocol protocol;
        final String address;
        final int port;
        final boolean implicit;
        final String[] frames;
        final String decider;

        Bind(Protocol protocol, String address, int port, boolean implicit, String[] frames) {
            this.protocol = protocol;
            this.address = address;
            this.port = port;
            this.implicit = implicit;
            this.frames = frames;
            this.decider = decider(frames);
        }

        boolean wildcard() {
            return implicit || port == 0;
        }
    }

    /** A group of wildcard binds made by one package, and the glob its rule gets. */
    static final class Group {
        final Protocol protocol;
        final String pkg;
        final List<Bind> binds = new ArrayList<Bind>();
        int segments;
        String name;

        Group(Protocol protocol, String pkg) {
            this.protocol = protocol;
            this.pkg = pkg;
        }

        String[] pkgSegments() {
            return pkg.split("\\.");
        }

        String glob() {
            String[] s = pkgSegments();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(segments, s.length); i++) {
                if (i > 0) {
                    sb.append('.');
                }
                sb.append(s[i]);
            }
            return sb.append(".**").toString();
        }

        boolean lengthen() {
            if (segments >= pkgSegments().length) {
                return false;
            }
            segments++;
            return true;
        }

        boolean implicit() {
            for (Bind b : binds) {
                if (b.implicit) {
                    return true;
                }
            }
            return false;
        }
    }

    static final class Draft {
        String yaml;
        String summary;
        final List<Group> groups = new ArrayList<Group>();
        final List<String> unresolved = new ArrayList<String>();

        int groups(Protocol p) {
            int n = 0;
            for (Group g : groups) {
                n += g.protocol == p ? 1 : 0;
            }
            return n;
        }

        int binds(Protocol p) {
            int n = 0;
            for (Group g : groups) {
                n += g.protocol == p ? g.binds.size() : 0;
            }
            return n;
        }
    }

    /** The nearest frame outside the JDK's plumbing, or null when there is none. */
    static String decider(String[] frames) {
        for (String f : frames) {
            if (!isPlumbing(f)) {
                return f;
            }
        }
        return null;
    }

    static boolean isPlumbing(String cls) {
        for (String p : PLUMBING) {
            if (cls.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the glob {@code prefix.**} would also match some of the JDK's plumbing. */
    static boolean catchesPlumbing(String prefix) {
        String dotted = prefix + ".";
        for (String p : PLUMBING) {
            if (p.startsWith(dotted) || dotted.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    static String packageOf(String cls) {
        int dot = cls.lastIndexOf('.');
        return dot < 0 ? cls : cls.substring(0, dot);
    }

    static Draft draft(List<Map<String, Object>> records, String source, int[] tcp, int[] udp, boolean reserveFixed,
                       String schema) throws CliException {
        List<Bind> binds = new ArrayList<Bind>();
        TreeSet<Long> pids = new TreeSet<Long>();
        for (Map<String, Object> r : records) {
            String proto = JsonLines.string(r, "protocol");
            Protocol protocol = "udp".equals(proto) ? Protocol.UDP : "tcp".equals(proto) ? Protocol.TCP : null;
            if (protocol == null) {
                continue;
            }
            Object f = r.get("frames");
            List<String> frames = new ArrayList<String>();
            if (f instanceof List) {
                for (Object o : (List<?>) f) {
                    frames.add(String.valueOf(o));
                }
            }
            Object pid = r.get("pid");
            if (pid instanceof Number) {
                pids.add(((Number) pid).longValue());
            }
            binds.add(new Bind(protocol, JsonLines.string(r, "address"), JsonLines.integer(r, "port", 0),
                    Boolean.TRUE.equals(r.get("implicit")), frames.toArray(new String[0])));
        }
        Draft d = new Draft();
        // fixed ports: protocol, port -> the binds
        TreeMap<String, List<Bind>> fixed = new TreeMap<String, List<Bind>>();
        TreeMap<String, Group> byKey = new TreeMap<String, Group>();
        List<Bind> unattributed = new ArrayList<Bind>();
        for (Bind b : binds) {
            if (!b.wildcard()) {
                String key = b.protocol.id() + String.format(" %05d", b.port);
                List<Bind> l = fixed.get(key);
                if (l == null) {
                    fixed.put(key, l = new ArrayList<Bind>());
                }
                l.add(b);
            } else if (b.decider == null) {
                unattributed.add(b);
            } else {
                String key = b.protocol.id() + " " + packageOf(b.decider);
                Group g = byKey.get(key);
                if (g == null) {
                    byKey.put(key, g = new Group(b.protocol, packageOf(b.decider)));
                }
                g.binds.add(b);
            }
        }
        d.groups.addAll(byKey.values());
        List<Group> ordered = separate(d);
        nameGroups(ordered);
        d.yaml = yaml(d, ordered, fixed, unattributed, source, pids, binds.size(), tcp, udp, reserveFixed, schema);
        confirm(d, ordered);
        d.summary = count(binds.size(), "bind") + ": " + count(fixed.size(), "fixed port") + ", "
                + count(ordered.size(), "group") + " of wildcard/implicit binds" + (unattributed.isEmpty() ? "" : ", " + unattributed.size()
                + " binds with no frame outside the JDK") + (d.unresolved.isEmpty() ? ""
                : "; NOT CONFIRMED: " + d.unresolved);
        return d;
    }

    /**
     * Gives each group the shortest glob (from two package segments, never one that catches the JDK's plumbing) that
     * no other group's deciding frame matches, orders the rules so that a glob matching deeper frames of another
     * group's binds comes after that group, and lengthens globs until every bind lands in its own group's rule.
     */
    static List<Group> separate(Draft d) {
        for (Group g : d.groups) {
            g.segments = Math.min(2, g.pkgSegments().length);
            while (catchesPlumbing(prefix(g)) && g.lengthen()) {
                // a longer one
            }
            boolean clash = true;
            while (clash) {
                clash = false;
                ClassMatcher m = ClassMatcher.of(Collections.singletonList(g.glob()));
                for (Group h : d.groups) {
                    if (h != g && h.protocol == g.protocol && matchesAnyDecider(m, h)) {
                        clash = true;
                    }
                }
                if (clash && !g.lengthen()) {
                    break;
                }
            }
        }
        List<Group> order = order(d.groups);
        for (int round = 0; round < 64; round++) {
            Map<Group, Group> wrong = misplaced(order);
            if (wrong.isEmpty()) {
                break;
            }
            boolean changed = false;
            for (Map.Entry<Group, Group> e : wrong.entrySet()) {
                changed |= e.getValue().lengthen(); // the rule that caught a bind not of its group: narrower
            }
            if (!changed) {
                break;
            }
            order = order(d.groups);
        }
        return order;
    }

    private static String prefix(Group g) {
        String glob = g.glob();
        return glob.substring(0, glob.length() - 3);
    }

    private static boolean matchesAnyDecider(ClassMatcher m, Group h) {
        for (Bind b : h.binds) {
            if (m.matches(b.decider)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Rules in an order where a group whose glob matches frames of another group's binds comes after it; ties by
     * protocol and package (deterministic). A cycle is broken by the same tie order; the check then lengthens.
     */
    static List<Group> order(List<Group> groups) {
        List<Group> left = new ArrayList<Group>(groups);
        Collections.sort(left, new Comparator<Group>() {
            @Override
            public int compare(Group a, Group b) {
                int c = a.protocol.compareTo(b.protocol);
                return c != 0 ? c : a.pkg.compareTo(b.pkg);
            }
        });
        List<Group> out = new ArrayList<Group>();
        while (!left.isEmpty()) {
            Group next = null;
            for (Group g : left) {
                ClassMatcher m = ClassMatcher.of(Collections.singletonList(g.glob()));
                boolean mustWait = false;
                for (Group h : left) {
                    if (h != g && h.protocol == g.protocol && matchesAnyFrame(m, h)) {
                        mustWait = true;
                        break;
                    }
                }
                if (!mustWait) {
                    next = g;
                    break;
                }
            }
            if (next == null) {
                next = left.get(0);
            }
            left.remove(next);
            out.add(next);
        }
        return out;
    }

    private static boolean matchesAnyFrame(ClassMatcher m, Group h) {
        for (Bind b : h.binds) {
            if (m.matchesAny(b.frames)) {
                return true;
            }
        }
        return false;
    }

    /** For each bind caught by another group's rule: that rule's group -> the bind's group. */
    private static Map<Group, Group> misplaced(List<Group> order) {
        Map<Group, Group> out = new LinkedHashMap<Group, Group>();
        for (Group g : order) {
            for (Bind b : g.binds) {
                for (Group r : order) {
                    if (r.protocol != b.protocol || b.implicit && !r.implicit()) {
                        continue;
                    }
                    if (ClassMatcher.of(Collections.singletonList(r.glob())).matchesAny(b.frames)) {
                        if (r != g) {
                            out.put(r, g);
                        }
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static void nameGroups(List<Group> order) {
        Map<String, Integer> used = new TreeMap<String, Integer>();
        for (Group g : order) {
            String base = prefix(g).replace('.', '-').replace('$', '-').replace('_', '-');
            if (order.size() > 1 && groupsOf(order, g.pkg) > 1) {
                base = g.protocol.id() + "-" + base;
            }
            Integer n = used.get(base);
            used.put(base, n == null ? 2 : n + 1);
            g.name = n == null ? base : base + "-" + n;
        }
    }

    private static int groupsOf(List<Group> order, String pkg) {
        int n = 0;
        for (Group g : order) {
            n += g.pkg.equals(pkg) ? 1 : 0;
        }
        return n;
    }

    /** Loads the draft as the agent would, and asks explain's conditions where each discovered bind lands. */
    private static void confirm(Draft d, List<Group> order) throws CliException {
        Policy policy;
        try {
            policy = PolicyLoader.parse(d.yaml, "(draft)", Paths.get(""));
        } catch (PolicyException e) {
            StringBuilder sb = new StringBuilder("internal error: the draft does not load:");
            for (Problem p : e.problems()) {
                sb.append('\n').append(p);
            }
            throw new CliException(sb.toString());
        }
        Map<String, Rule> rules = new TreeMap<String, Rule>();
        for (Rule r : policy.rules()) {
            rules.put(r.name(), r);
        }
        for (Group g : order) {
            for (Bind b : g.binds) {
                Rule first = null;
                for (Rule r : policy.rules()) {
                    String whyNot = b.implicit ? ExplainCommand.whyNotImplicit(r, b.frames)
                            : ExplainCommand.whyNot(r, b.protocol, address(b), b.port, b.frames);
                    if (whyNot == null) {
                        first = r;
                        break;
                    }
                }
                if (rules.containsKey(g.name) && first != rules.get(g.name)) {
                    String what = g.name + " (" + b.protocol.id() + (b.implicit ? " implicit" : "") + " bind by "
                            + b.decider + " lands in " + (first == null ? "no rule" : "rule '" + first.name() + "'")
                            + ")";
                    if (!d.unresolved.contains(what)) {
                        d.unresolved.add(what);
                    }
                }
            }
        }
    }

    private static InetAddress address(Bind b) {
        try {
            return InetAddress.getByName(b.address == null ? "0.0.0.0" : b.address);
        } catch (Exception e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ the YAML

    private static String yaml(Draft d, List<Group> order, TreeMap<String, List<Bind>> fixed, List<Bind> unattributed,
                               String source, TreeSet<Long> pids, int total, int[] tcp, int[] udp,
                               boolean reserveFixed, String schema) {
        StringBuilder y = new StringBuilder();
        y.append("# yaml-language-server: $schema=").append(schema).append('\n');
        y.append("#\n");
        y.append("# Drafted by `portres suggest` from ").append(source).append(": ").append(total)
                .append(total == 1 ? " bind" : " binds").append(" of ").append(pids.size())
                .append(pids.size() == 1 ? " process" : " processes").append(".\n");
        y.append("# Check it: java -jar portres-agent.jar validate <this file>; explain <this file> --port 0 --class"
                + " <frame>.\n");
        y.append("#\n");
        if (fixed.isEmpty()) {
            y.append("# Fixed ports: none.\n");
        } else {
            y.append("# Fixed ports").append(reserveFixed ? " (each a one-port reservation below):\n"
                    : ", left as they are (the application asks for them; --reserve-fixed makes them reservations):\n");
            for (List<Bind> l : fixed.values()) {
                Bind b = l.get(0);
                TreeSet<String> addresses = new TreeSet<String>();
                TreeSet<String> by = new TreeSet<String>();
                for (Bind x : l) {
                    addresses.add(String.valueOf(x.address));
                    by.add(x.decider == null ? "the JDK" : x.decider);
                }
                y.append("#   ").append(b.protocol.id()).append(' ').append(b.port).append(" on ")
                        .append(join(addresses)).append(": ").append(count(l.size(), "bind")).append(", by ")
                        .append(join(by)).append('\n');
            }
        }
        y.append("#\n");
        if (order.isEmpty()) {
            y.append("# Wildcard and implicit binds: none.\n");
        } else {
            y.append("# Wildcard (port 0) and implicit binds, grouped by the nearest class outside the JDK's plumbing"
                    + " (the deciding frames):\n");
            for (Group g : order) {
                int implicit = 0;
                TreeSet<String> deciders = new TreeSet<String>();
                for (Bind b : g.binds) {
                    implicit += b.implicit ? 1 : 0;
                    deciders.add(b.decider);
                }
                int[] block = g.protocol == Protocol.TCP ? tcp : udp;
                y.append("#   rule '").append(g.name).append("' (").append(g.protocol.id()).append(", class ")
                        .append(g.glob()).append("): ").append(count(g.binds.size(), "bind"))
                        .append(implicit > 0 ? " (" + implicit + " implicit)" : "").append("; deciding frames: ")
                        .append(join(deciders)).append('\n');
                if (block != null && g.binds.size() > block[1] - block[0] + 1) {
                    y.append("#     more binds than the block has ports: if they are open at once, widen the"
                            + " block\n");
                }
            }
        }
        if (!unattributed.isEmpty()) {
            TreeSet<String> what = new TreeSet<String>();
            for (Bind b : unattributed) {
                what.add(b.protocol.id() + (b.implicit ? " implicit" : " wildcard") + " bind by "
                        + (b.frames.length == 0 ? "the JDK alone" : b.frames[0]));
            }
            y.append("#\n# Not confined: ").append(count(unattributed.size(), "bind"))
                    .append(" with no frame outside the JDK's plumbing, which no class glob can tell apart: ")
                    .append(join(what)).append('\n');
        }
        for (Protocol p : Protocol.values()) {
            int[] block = p == Protocol.TCP ? tcp : udp;
            if (block == null) {
                continue;
            }
            for (List<Bind> l : fixed.values()) {
                Bind b = l.get(0);
                if (b.protocol == p && b.port >= block[0] && b.port <= block[1]) {
                    y.append("#\n# Note: the fixed port ").append(p.id()).append(' ').append(b.port)
                            .append(" lies inside the ").append(p.id()).append(" block ").append(block[0]).append('-')
                            .append(block[1]).append(": a wildcard bind may take it first; choose another block.\n");
                }
            }
        }
        y.append("version: 1\n");
        y.append("mode: enforce             # audit: decide and record only, change nothing\n");
        y.append("onError: fail\n");
        y.append("log:\n  level: info\n  events: events.jsonl     # relative to this file; `portres report` reads"
                + " it\n");
        y.append("reservations:");
        int reservations = 0;
        for (Protocol p : Protocol.values()) {
            int[] block = p == Protocol.TCP ? tcp : udp;
            if (block != null && d.groups(p) > 0) {
                y.append("\n  ").append(p.id()).append("-block: { protocol: ").append(p.id()).append(", startPort: ")
                        .append(block[0]).append(", count: ").append(block[1] - block[0] + 1).append(" }");
                reservations++;
            }
        }
        if (reserveFixed) {
            for (List<Bind> l : fixed.values()) {
                Bind b = l.get(0);
                y.append("\n  ").append(b.protocol.id()).append('-').append(b.port).append(": { protocol: ")
                        .append(b.protocol.id()).append(", startPort: ").append(b.port).append(", count: 1 }");
                reservations++;
            }
        }
        y.append(reservations == 0 ? " {}\n" : "\n");
        y.append("rules:");
        int rules = 0;
        if (reserveFixed) {
            for (List<Bind> l : fixed.values()) {
                Bind b = l.get(0);
                String name = b.protocol.id() + "-" + b.port;
                y.append("\n  - name: fixed-").append(name).append("\n    match: { port: ").append(b.port)
                        .append(", protocol: ").append(b.protocol.id()).append(" }\n    reservation: ").append(name);
                rules++;
            }
        }
        for (Group g : order) {
            if ((g.protocol == Protocol.TCP ? tcp : udp) == null) {
                continue;
            }
            y.append("\n  - name: ").append(g.name).append("\n    match: { port: 0, protocol: ")
                    .append(g.protocol.id()).append(", class: \"").append(g.glob()).append("\" }\n    reservation: ")
                    .append(g.protocol.id()).append("-block");
            if (g.implicit()) {
                y.append("\n    implicit: true           # also TCP clients that connect unbound");
            }
            rules++;
        }
        y.append(rules == 0 ? " []\n" : "\n");
        return y.toString();
    }

    private static String count(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }

    private static String join(Iterable<String> items) {
        return String.join(", ", items);
    }
}
