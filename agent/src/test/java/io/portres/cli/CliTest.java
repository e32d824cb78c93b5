package io.portres.cli;

import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;
import io.portres.policy.Rule;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands in-process, on a Linux host whose /proc is a temporary folder ({@code ip_local_reserved_ports},
 * {@code ip_local_port_range}, the socket tables). The Windows side runs against the simulator in {@code CliIT}.
 */
class CliTest {

    @TempDir
    Path dir;

    Path sysctl;
    Path procNet;
    int euid = 0;

    /** Exit status, standard output and standard error of one command. */
    static final class Run {
        final int code;
        final String out;
        final String err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    @BeforeEach
    void linuxHost() throws Exception {
        sysctl = Files.createDirectories(dir.resolve("sys"));
        procNet = Files.createDirectories(dir.resolve("net"));
        write(sysctl.resolve("ip_local_reserved_ports"), "\n");
        write(sysctl.resolve("ip_local_port_range"), "32768\t60999\n");
        String heading = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        // a socket on 0.0.0.0:50003 (0xC353)
        write(procNet.resolve("tcp"), heading + "   0: 00000000:C353 00000000:0000 0A 00000000:00000000 00:00000000"
                + " 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n");
        write(procNet.resolve("udp"), heading);
    }

    static void write(Path p, String text) throws Exception {
        Files.write(p, text.getBytes(StandardCharsets.US_ASCII));
    }

    Run run(String... args) {
        return run(new Host("Linux", "17.0.15", "17", sysctl, procNet, euid), args);
    }

    static Run run(Host host, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main.Context(host), new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    Path policy(String yaml) throws Exception {
        Path p = dir.resolve("policy.yaml");
        Files.write(p, yaml.getBytes(StandardCharsets.UTF_8));
        return p;
    }

    static final String GOOD = "version: 1\n"
            + "reservations:\n"
            + "  rmi: { protocol: tcp, startPort: 50000, count: 100 }\n"
            + "  web: { protocol: tcp, startPort: 8080, count: 1 }\n"
            + "rules:\n"
            + "  - name: web\n"
            + "    match: { port: 8080 }\n"
            + "    reservation: web\n"
            + "  - name: rmi\n"
            + "    match: { port: 0, class: \"sun.rmi.**\" }\n"
            + "    reservation: rmi\n";

    // ---------------------------------------------------------------------------------------------------- usage

    @Test
    void withoutACommandTheUsageAndStatus2() {
        Run r = run();
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).contains("give a command", "Usage: portres");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"--help"}, {"validate", "--help"}, {"explain", "--help"},
            {"reservations", "--help"}, {"reservations", "list", "--help"}, {"reservations", "create", "--help"},
            {"doctor", "--help"}}) {
            Run r = run(cmd);
            assertThat(r.code).as(String.join(" ", cmd)).isZero();
            assertThat(r.out).contains("Usage: portres");
        }
        assertThat(run("--help").out).contains("Exit status", "validate", "explain", "reservations", "doctor");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        Run r = run("validate", "--nope", "x.yaml");
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).contains("Unknown option: '--nope'");
    }

    // ------------------------------------------------------------------------------------------------- validate

    @Test
    void aValidPolicyInsideTheEphemeralRangeGetsAWarningWithTheSysctlLine() throws Exception {
        Path p = policy(GOOD);
        Run r = run("validate", p.toString());
        assertThat(r.code).as(r.toString()).isZero();
        assertThat(r.out).contains(p + ":3:1: warning: reservations.rmi: reservation 'rmi' (tcp 50000-50099) lies"
                + " inside this machine's ephemeral port range 32768-60999 (net.ipv4.ip_local_port_range) and is not"
                + " reserved", "sudo sysctl -w net.ipv4.ip_local_reserved_ports=8080,50000-50099")
                .contains(p + ": valid (0 errors, 1 warning): 2 reservations, 2 rules, mode enforce");
        assertThat(run("validate", "--strict", p.toString()).code).isEqualTo(1);
        assertThat(run("validate", "--offline", p.toString()).out).doesNotContain(": warning:");
    }

    @Test
    void aReservedBlockGetsNoWarningAndAPartlyReservedOneDoes() throws Exception {
        Path p = policy(GOOD);
        write(sysctl.resolve("ip_local_reserved_ports"), "8080,50000-50099\n");
        assertThat(run("validate", p.toString()).out).doesNotContain(": warning:");
        write(sysctl.resolve("ip_local_reserved_ports"), "50050-50199\n");
        Run r = run("validate", p.toString());
        assertThat(r.out).contains("reservation 'rmi' (tcp 50000-50099) is only partly in"
                + " net.ipv4.ip_local_reserved_ports (50 of 100 ports)");
    }

    @Test
    void errorsAreTheAgentsOwnLinesAndStatus1() throws Exception {
        Path p = policy("version: 1\nreservations:\n  r: { protocol: tcp, startPort: 70000, count: 1 }\nrules:\n"
                + "  - { name: a, match: { port: 8080 }, reservation: blok }\n");
        Run r = run("validate", p.toString());
        assertThat(r.code).isEqualTo(1);
        String expected;
        try {
            PolicyLoader.load(p);
            throw new AssertionError("must not load");
        } catch (PolicyException e) {
            StringBuilder sb = new StringBuilder();
            e.problems().forEach(x -> sb.append(x).append('\n'));
            expected = sb.toString();
        }
        assertThat(expected).contains("70000", "blok");
        assertThat(r.out).startsWith(expected.replace("\n", System.lineSeparator()));
        assertThat(r.out).contains(p + ": invalid (2 errors, 0 warnings)");
    }

    @Test
    void aMissingFileIsStatus2() {
        Run r = run("validate", dir.resolve("nope.yaml").toString());
        assertThat(r.code).isEqualTo(2);
        assertThat(r.out).contains("nope.yaml: cannot read policy");
    }

    @Test
    void aRuleThatCanNeverMatchIsReported() throws Exception {
        Path p = policy("version: 1\n"
                + "reservations:\n"
                + "  r: { protocol: tcp, startPort: 50000, count: 100 }\n"
                + "rules:\n"
                + "  - name: all-rmi\n"
                + "    match: { port: [0, \"1-1024\"], class: \"sun.rmi.**\" }\n"
                + "    reservation: r\n"
                + "  - name: rmi-transport\n"
                + "    match: { port: 0, class: \"sun.rmi.transport.**\", address: loopback }\n"
                + "    reservation: r\n"
                + "  - name: other-port\n"
                + "    match: { port: 2000, class: \"sun.rmi.transport.**\" }\n"
                + "    reservation: r\n");
        Run r = run("validate", "--offline", p.toString());
        assertThat(r.code).isZero();
        assertThat(r.out).contains(p + ":8:1: warning: rules[1]: rule 'rmi-transport' can never match: rule"
                + " 'all-rmi' (line 5) comes first and matches every bind it matches")
                .doesNotContain("'other-port' can never match");
    }

    @Test
    void jsonOutput() throws Exception {
        Path p = policy(GOOD);
        Run r = run("validate", "--json", p.toString());
        assertThat(r.code).isZero();
        assertThat(r.out.trim()).startsWith("{\"files\":[{\"file\":").contains("\"valid\":true", "\"warnings\":1",
                "\"severity\":\"warning\",\"line\":3,\"column\":1,\"path\":\"reservations.rmi\"")
                .endsWith("\"errors\":0,\"warnings\":1,\"machineChecks\":\"net.ipv4.ip_local_reserved_ports ("
                        + sysctl.resolve("ip_local_reserved_ports") + ")\"}");
    }

    // -------------------------------------------------------------------------------------------------- explain

    @Test
    void explainNamesTheMatchAndWhyEachEarlierRuleDidNot() throws Exception {
        Path p = policy(GOOD);
        Run r = run("explain", p.toString(), "--port", "0", "--class", "sun.rmi.transport.tcp.TCPDirectSocketFactory");
        assertThat(r.code).as(r.toString()).isZero();
        assertThat(r.out).contains("tcp bind 0.0.0.0:0, calling classes [sun.rmi.transport.tcp.TCPDirectSocketFactory]",
                "rule 1 'web' (line 6): no, port 0 is not in its ports 8080",
                "rule 2 'rmi' (line 9): MATCHES -> reservation 'rmi' (tcp 50000-50099, persistent), onError fail,"
                        + " mode enforce");
        Run none = run("explain", p.toString(), "--port", "0");
        assertThat(none.code).isEqualTo(1);
        assertThat(none.out).contains("rule 2 'rmi' (line 9): no, it needs a calling class matching [sun.rmi.**]"
                + " (give --class)", "no rule matches: the agent leaves this bind alone");
        assertThat(run("explain", p.toString(), "--port", "8080", "--protocol", "udp").out)
                .contains("rule 1 'web' (line 6): no, it is for tcp binds");
        assertThat(run("explain", p.toString()).code).isEqualTo(2);
        assertThat(run("explain", p.toString(), "--port", "1", "--address", "example.com").err)
                .contains("give an IP address");
    }

    @Test
    void explainAgreesWithTheAgentsMatcher() throws Exception {
        Policy policy = PolicyLoader.parse("version: 1\n"
                + "reservations:\n"
                + "  t: { protocol: tcp, startPort: 50000, count: 100 }\n"
                + "  u: { protocol: udp, startPort: 51000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: a, match: { port: [0, \"8000-8010\"], address: loopback }, reservation: t }\n"
                + "  - { name: b, match: { class: [\"org.x.**\", \"com.y.*\"] }, reservation: t, implicit: true }\n"
                + "  - { name: c, match: { port: 0, protocol: udp, address: \"10.0.0.0/8\" }, reservation: u }\n"
                + "  - { name: d, match: { port: [0, \"1-9000\"], address: wildcard }, reservation: t }\n"
                + "  - { name: e, match: { port: 0, class: \"org.**\" }, reservation: u }\n",
                "p.yaml", dir);
        PolicyMatcher matcher = new PolicyMatcher(policy);
        InetAddress[] addresses = {InetAddress.getByName("0.0.0.0"), InetAddress.getByName("127.0.0.1"),
            InetAddress.getByName("10.1.2.3"), InetAddress.getByName("::"), InetAddress.getByName("::1")};
        String[][] stacks = {{}, {"org.x.Server"}, {"com.y.Z", "java.lang.Thread"}, {"com.y.z.W"}, {"org.a.B"}};
        int[] ports = {0, 1, 8000, 8005, 8011, 9000, 9001};
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            Protocol protocol = random.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            InetAddress address = addresses[random.nextInt(addresses.length)];
            int port = ports[random.nextInt(ports.length)];
            final String[] stack = stacks[random.nextInt(stacks.length)];
            Rule agent = matcher.match(protocol, address, port, () -> stack);
            Rule explained = null;
            for (Rule r : policy.rules()) {
                if (ExplainCommand.whyNot(r, protocol, address, port, stack) == null) {
                    explained = r;
                    break;
                }
            }
            assertThat(explained).as(protocol + " " + address + ":" + port + " " + String.join(",", stack))
                    .isSameAs(agent);
            Rule agentImplicit = matcher.matchImplicit(() -> stack);
            Rule explainedImplicit = null;
            for (Rule r : policy.rules()) {
                if (ExplainCommand.whyNotImplicit(r, stack) == null) {
                    explainedImplicit = r;
                    break;
                }
            }
            assertThat(explainedImplicit).isSameAs(agentImplicit);
        }
    }

    // --------------------------------------------------------------------------------------------- reservations

    @Test
    void reservationsOnLinuxListCreateLookupAndDeleteKeepingOtherEntries() throws Exception {
        write(sysctl.resolve("ip_local_reserved_ports"), "8080\n");
        assertThat(run("reservations", "list").out).contains("1 reserved block", "tcp+udp 8080 (1 port, reserved)");
        Run missing = run("reservations", "lookup", "--start", "50000", "--count", "100");
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.out).contains("not found", "sudo sysctl -w net.ipv4.ip_local_reserved_ports=8080,50000-50099");
        Run created = run("reservations", "create", "--start", "50000", "--count", "100");
        assertThat(created.code).as(created.toString()).isZero();
        assertThat(created.out).contains("created: tcp+udp 50000-50099 (100 ports, reserved)");
        assertThat(new String(Files.readAllBytes(sysctl.resolve("ip_local_reserved_ports")), StandardCharsets.US_ASCII))
                .isEqualTo("8080,50000-50099\n");
        assertThat(run("reservations", "lookup", "--start", "50000", "--count", "100", "--json").out.trim())
                .isEqualTo("{\"os\":\"linux\",\"result\":\"found\",\"reservation\":{\"protocol\":\"tcp+udp\","
                        + "\"start\":50000,\"end\":50099,\"count\":100,\"kind\":\"reserved\",\"token\":null}}");
        assertThat(run("reservations", "delete", "--start", "50000", "--count", "50").code).isZero();
        assertThat(new String(Files.readAllBytes(sysctl.resolve("ip_local_reserved_ports")), StandardCharsets.US_ASCII))
                .isEqualTo("8080,50050-50099\n");
        Run notThere = run("reservations", "delete", "--start", "40000", "--count", "5");
        assertThat(notThere.code).isEqualTo(1);
        assertThat(notThere.err).contains("no port of 40000-40004 is in net.ipv4.ip_local_reserved_ports");
    }

    @Test
    void aBlockMustLieWithinThePorts() {
        assertThat(run("reservations", "create", "--start", "65500", "--count", "100").err)
                .contains("is not a block of ports within 1-65535");
        assertThat(run("reservations", "lookup", "--start", "0", "--count", "1").code).isEqualTo(2);
    }

    // --------------------------------------------------------------------------------------------------- doctor

    @Test
    void doctorTellsPortsInTimeWaitFromPortsInUse() throws Exception {
        String heading = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        StringBuilder tcp = new StringBuilder(heading);
        tcp.append("   0: 00000000:C353 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n");
        tcp.append("   1: 0100007F:C354 0100007F:9C40 06 00000000:00000000 03:00001770 00000000 0 0 0 3\n");
        tcp.append("   2: 0100007F:C355 0100007F:9C41 06 00000000:00000000 03:00001770 00000000 0 0 0 3\n");
        write(procNet.resolve("tcp"), tcp.toString());
        Path p = policy(GOOD);
        assertThat(run("doctor", p.toString()).out).contains("OK   reservation 'rmi': 1 of its 100 ports are in use"
                + " now (50003), 2 are held only by connections in TIME_WAIT (50004,50005; closed less than a minute"
                + " ago: server sockets of the block still take them, client sockets do not): 97 free");
        for (int port = 50000; port < 50100; port++) {
            tcp.append(String.format("  %d: 00000000:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0"
                    + " 1 1\n", port, port));
        }
        write(procNet.resolve("tcp"), tcp.toString());
        assertThat(run("doctor", p.toString()).out).contains("WARN reservation 'rmi': 100 of its 100 ports are in use"
                + " now (50000,50001,50002,50003,50004,50005,50006,50007,50008,50009,...): 0 free")
                .contains("fix: the next bind through it is exhausted (onError decides): enlarge the block (count) or"
                        + " close sockets");
    }

    @Test
    void doctorReportsEachCheckWithItsFix() throws Exception {
        Path p = policy(GOOD);
        Run r = run("doctor", p.toString());
        assertThat(r.code).as(r.toString()).isZero();
        assertThat(r.out).contains("OK   java: JDK 17.0.15", "OK   native: net.ipv4.ip_local_reserved_ports",
                "OK   privileges: this process is root", "OK   policy: " + p + " is valid: 2 reservations, 2 rules",
                "WARN reservation 'rmi': tcp 50000-50099, persistent: not in net.ipv4.ip_local_reserved_ports",
                "fix: sudo sysctl -w net.ipv4.ip_local_reserved_ports=8080,50000-50099",
                "OK   reservation 'rmi': 1 of its 100 ports are in use now (50003): 99 free");
        write(sysctl.resolve("ip_local_reserved_ports"), "8080,50000-50099\n");
        assertThat(run("doctor", p.toString()).out).contains("OK   reservation 'rmi': tcp 50000-50099, persistent:"
                + " reserved in net.ipv4.ip_local_reserved_ports");
        Path bad = policy("version: 2\n");
        Run failed = run("doctor", "--json", bad.toString());
        assertThat(failed.code).isEqualTo(1);
        assertThat(failed.out).startsWith("{\"ok\":false,\"checks\":[").contains("\"status\":\"FAIL\",\"check\":\"policy\"");
    }

    @Test
    void validateDoctorAndTheAgentAgreeOnWhenABlockIsAtRisk() throws Exception {
        Path p = policy(GOOD);
        // the one-port reservation 8080 lies below the ephemeral range: safe unreserved, no warning
        Run doctor = run("doctor", p.toString());
        assertThat(doctor.out).contains("OK   reservation 'web': tcp 8080, persistent: not in"
                + " net.ipv4.ip_local_reserved_ports, and needs not be: it lies outside the ephemeral range 32768-60999");
        Run validate = run("validate", p.toString());
        assertThat(validate.out).contains("reservation 'rmi'").doesNotContain("reservation 'web'");
        assertThat(io.portres.agent.backend.linux.PortRanges.atRisk(false, new int[] {32768, 60999}, 8080, 8080))
                .isFalse();
        // a range that takes it in: all three warn
        write(sysctl.resolve("ip_local_port_range"), "1024\t60999\n");
        assertThat(run("doctor", p.toString()).out).contains("WARN reservation 'web': tcp 8080, persistent: not in");
        assertThat(run("validate", p.toString()).out).contains("reservation 'web' (tcp 8080) lies inside this"
                + " machine's ephemeral port range 1024-60999");
        assertThat(io.portres.agent.backend.linux.PortRanges.atRisk(false, new int[] {1024, 60999}, 8080, 8080))
                .isTrue();
        // a range that cannot be read: at risk for all three
        Files.delete(sysctl.resolve("ip_local_port_range"));
        assertThat(run("doctor", p.toString()).out).contains("WARN reservation 'web': tcp 8080, persistent: not in");
        assertThat(run("validate", p.toString()).out).contains("reservation 'web' (tcp 8080) is not reserved, and"
                + " this machine's ephemeral port range (net.ipv4.ip_local_port_range) cannot be read");
        assertThat(io.portres.agent.backend.linux.PortRanges.atRisk(false, null, 8080, 8080)).isTrue();
        assertThat(io.portres.agent.backend.linux.PortRanges.atRisk(true, null, 8080, 8080)).isFalse();
    }
}
