package io.portres.cli;

import io.portres.agent.match.SocketCode;
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

import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code portres explain POLICY --port N ...}: which rule a bind would match, and why each earlier rule did not. The
 * conditions are the agent's ({@code PolicyMatcher}); {@code ExplainCommandTest} checks that both agree.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Shows which rule a bind would match, and why each earlier rule did not.", "The bind is"
                + " described by its requested port, protocol, local address and the classes on the"
                + " binding thread's stack (the frames above the JDK's socket code).",
                "Exit status: 0 a rule matches, 1 no rule matches (the agent leaves the bind alone), 2 bad policy or"
                        + " usage."},
        footer = {"%nExamples:%n"
                + "  java -jar portres-agent.jar explain policy.yaml --port 0 --class sun.rmi.transport.tcp.TCPDirectSocketFactory%n"
                + "  java -jar portres-agent.jar explain policy.yaml --port 8080 --address 127.0.0.1%n"
                + "  java -jar portres-agent.jar explain policy.yaml --implicit --class com.example.Client"})
final class ExplainCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "POLICY", description = "the policy file")
    Path policyFile;

    @Option(names = "--port", paramLabel = "N", description = "the requested local port (0: a wildcard bind)")
    Integer port;

    @Option(names = "--protocol", paramLabel = "tcp|udp", description = "default: tcp")
    String protocol = "tcp";

    @Option(names = "--address", paramLabel = "A", description = "the requested local address (default 0.0.0.0)")
    String address = "0.0.0.0";

    @Option(names = "--class", paramLabel = "C", description = "a class on the binding thread's stack (repeatable)")
    List<String> classes = new ArrayList<String>();

    @Option(names = "--implicit", description = "an unbound TCP socket about to connect (rules with implicit: true)")
    boolean implicit;

    @Option(names = "--json", description = "one JSON object on standard output instead of text")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        PrintWriter out = spec.commandLine().getOut();
        Protocol proto = parseProtocol(protocol);
        if (implicit && proto != Protocol.TCP) {
            throw new CliException("--implicit describes a TCP client socket: leave out --protocol udp");
        }
        if (!implicit && port == null) {
            throw new CliException("give --port N (0 for a wildcard bind), or --implicit");
        }
        if (port != null && (port < 0 || port > 65535)) {
            throw new CliException("--port " + port + " is not a port (0-65535)");
        }
        InetAddress addr = implicit ? null : parseAddress(address);
        Policy policy = load(policyFile);
        String bind = implicit ? "tcp connect of an unbound socket (implicit bind)"
                : proto.id() + " bind " + addr.getHostAddress() + ":" + port;
        // the agent looks past the JDK's socket code on the stack: so does explain (one list, SocketCode)
        List<String> callers = new ArrayList<String>();
        List<String> ignored = new ArrayList<String>();
        for (String c : classes) {
            (SocketCode.isSocketOrAgentFrame(c) ? ignored : callers).add(c);
        }
        String[] stack = callers.toArray(new String[0]);
        Rule matched = null;
        List<Object> steps = new ArrayList<Object>();
        if (!json) {
            out.println(bind + (stack.length == 0 ? ", no calling class given" : ", calling classes " + callers));
            if (!ignored.isEmpty()) {
                out.println("  (ignored: " + ignored + " " + (ignored.size() == 1 ? "is" : "are") + " the JDK's"
                        + " socket code, which the agent looks past to find the caller; a rule cannot name it)");
            }
        }
        for (Rule r : policy.rules()) {
            String whyNot = implicit ? whyNotImplicit(r, stack) : whyNot(r, proto, addr, port, stack);
            String label = "rule " + (r.index() + 1) + " '" + r.name() + "' (line " + r.line() + ")";
            Map<String, Object> step = new LinkedHashMap<String, Object>();
            step.put("rule", r.name());
            step.put("line", r.line());
            step.put("matches", whyNot == null);
            step.put("reason", whyNot);
            steps.add(step);
            if (whyNot != null) {
                if (!json) {
                    out.println("  " + label + ": no, " + whyNot);
                }
                continue;
            }
            matched = r;
            String effect = "reservation '" + r.reservation().name() + "' (" + r.reservation().describe() + ", "
                    + r.reservation().kind().id() + "), onError " + r.effectiveOnError(policy.onError()).id()
                    + ", mode " + policy.mode().id();
            step.put("effect", effect);
            if (!json) {
                out.println("  " + label + ": MATCHES -> " + effect);
                int rest = policy.rules().size() - r.index() - 1;
                if (rest > 0) {
                    out.println("  (the first match wins: " + (rest == 1 ? "the later rule is"
                            : "the " + rest + " later rules are") + " not considered)");
                }
            }
            break;
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<String, Object>();
            m.put("bind", bind);
            m.put("classes", callers);
            m.put("ignoredClasses", ignored);
            m.put("rules", steps);
            m.put("match", matched == null ? null : matched.name());
            out.println(JsonWriter.write(m));
        } else if (matched == null) {
            out.println("no rule matches: the agent leaves this bind alone");
        }
        return matched != null ? Main.OK : Main.FOUND_PROBLEMS;
    }

    /** The policy, or a usage error listing its errors (for the commands that need a valid policy). */
    static Policy load(Path policyFile) throws CliException {
        try {
            return PolicyLoader.load(policyFile);
        } catch (PolicyException e) {
            StringBuilder sb = new StringBuilder("the policy has errors; run validate:");
            for (Problem p : e.problems()) {
                if (p.severity() == Problem.Severity.ERROR) {
                    sb.append('\n').append(p);
                }
            }
            throw new CliException(sb.toString());
        }
    }

    /** Why {@code r} does not match this explicit bind, or null when it does (the agent's order of conditions). */
    static String whyNot(Rule r, Protocol protocol, InetAddress address, int port, String[] stack) {
        if (r.protocol() != protocol) {
            return "it is for " + r.protocol().id() + " binds";
        }
        if (r.ports() != null && !r.ports().contains(port)) {
            return "port " + port + " is not in its ports " + r.ports().describe();
        }
        if (!r.address().matches(address)) {
            return "address " + address.getHostAddress() + " is not " + r.address().describe();
        }
        return whyNotClasses(r, stack);
    }

    /** Why {@code r} does not match an implicit bind (an unbound TCP socket about to connect), or null. */
    static String whyNotImplicit(Rule r, String[] stack) {
        if (!r.implicit()) {
            return "it does not have implicit: true";
        }
        if (r.protocol() != Protocol.TCP) {
            return "implicit binds are tcp, and it is for " + r.protocol().id() + " binds";
        }
        if (r.ports() != null && !r.ports().contains(0)) {
            return "an implicit bind asks for port 0, which is not in its ports " + r.ports().describe();
        }
        if (!r.address().matches(null)) {
            return "an implicit bind has no requested address, and it needs " + r.address().describe();
        }
        return whyNotClasses(r, stack);
    }

    private static String whyNotClasses(Rule r, String[] stack) {
        if (r.classes() == null || r.classes().matchesAny(stack)) {
            return null;
        }
        return stack.length == 0 ? "it needs a calling class matching " + r.classes().patterns() + " (give --class)"
                : "no calling class matches " + r.classes().patterns();
    }

    static Protocol parseProtocol(String s) throws CliException {
        String p = s.toLowerCase(Locale.ROOT);
        if (p.equals("tcp")) {
            return Protocol.TCP;
        }
        if (p.equals("udp")) {
            return Protocol.UDP;
        }
        throw new CliException("--protocol " + s + ": use tcp or udp");
    }

    /** A literal IP address only: no name lookups. */
    static InetAddress parseAddress(String s) throws CliException {
        String t = s.trim();
        boolean literal = t.indexOf(':') >= 0 || t.matches("[0-9.]+");
        if (!literal) {
            throw new CliException("--address " + s + ": give an IP address (0.0.0.0, ::, 127.0.0.1, ...), not a name");
        }
        try {
            return InetAddress.getByName(t.startsWith("[") && t.endsWith("]") ? t.substring(1, t.length() - 1) : t);
        } catch (Exception e) {
            throw new CliException("--address " + s + " is not an IP address");
        }
    }
}
