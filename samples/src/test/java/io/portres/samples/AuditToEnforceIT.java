package io.portres.samples;

import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.samples.SampleServer.Block;
import io.portres.samples.tomcat.TomcatServer;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's walk-through "From audit to enforce" on embedded Tomcat, end to end with the Linux backend: discover
 * what the unmodified server binds, draft a policy with {@code suggest}, check it with {@code validate} and
 * {@code explain}, enforce it (every socket of the server lands in the drafted reservations, the wildcard one in the
 * suggested block), and read the run back with {@code report}. On every JDK of the matrix ({@link JdkMatrix}: 8 to 27,
 * the missing ones named loudly), each step on that JDK: the server under the agent and the CLI alike.
 */
@EnabledOnOs(OS.LINUX)
class AuditToEnforceIT {

    static final int HTTP_PORT = 18190;
    static final int BLOCK_START = 26400;
    static final String BLOCK = BLOCK_START + "-" + (BLOCK_START + 9);

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void discoverSuggestValidateExplainEnforceReport(Jdk jdk) throws Exception {
        Path dir = Path.of("target", "audit-to-enforce", "jdk-" + jdk.feature).toAbsolutePath();
        Files.createDirectories(dir);
        Path discovery = dir.resolve("discovery.jsonl");
        Path policy = dir.resolve("policy.yaml");
        Path events = dir.resolve("events.jsonl");
        for (Path p : List.of(discovery, policy, events, dir.resolve("policy.schema.json"))) {
            Files.deleteIfExists(p);
        }

        // 1. discover: the server as it is, every bind recorded, nothing changed
        try (SampleServer server = SampleServer.start(jdk.java, "tomcat", "discover=" + discovery, events, List.of(),
                TomcatServer.class, Integer.toString(HTTP_PORT))) {
            Map<String, Integer> ports = server.awaitReady();
            assertThat(ports).containsEntry("http", HTTP_PORT);
            assertThat(ports.get("admin")).as("an ephemeral port, as without the agent").isGreaterThanOrEqualTo(32768);
            for (int port : ports.values()) {
                assertThat(HttpServersIT.httpGet(port)).startsWith("hello from Tomcat");
            }
            server.assertStopsCleanly();
        }
        String recorded = Files.readString(discovery);
        assertThat(recorded).contains("\"port\":" + HTTP_PORT + ",\"boundPort\":" + HTTP_PORT,
                "\"port\":0,\"boundPort\":", "\"frames\":[\"org.apache.tomcat.util.net.NioEndpoint\"",
                "\"implicit\":true,\"frames\":[\"org.apache.tomcat.util.net.AbstractEndpoint\"");

        // 2. suggest: the fixed connector as a one-port reservation; the port-0 one, and the connections Tomcat makes
        // to its own acceptors when it stops (implicit binds), into the block
        Cli suggest = cli(jdk, "suggest", discovery.toString(), "--tcp-block", BLOCK, "--reserve-fixed", "-o",
                policy.toString());
        assertThat(suggest.code).as(suggest.toString()).isZero();
        String yaml = Files.readString(policy);
        assertThat(yaml).startsWith("# yaml-language-server: $schema=policy.schema.json\n")
                .contains("- name: fixed-tcp-" + HTTP_PORT, "- name: org-apache\n"
                        + "    match: { port: 0, protocol: tcp, class: \"org.apache.**\" }\n"
                        + "    reservation: tcp-block\n"
                        + "    implicit: true");
        assertThat(cli(jdk, "suggest", discovery.toString(), "--tcp-block", BLOCK, "--reserve-fixed").out)
                .as("same input, same output").isEqualTo(yaml);

        // 3. validate and explain
        Cli validate = cli(jdk, "validate", policy.toString());
        assertThat(validate.code).as(validate.toString()).isZero();
        assertThat(validate.out).contains("valid (0 errors, 0 warnings)");
        Cli explain = cli(jdk, "explain", policy.toString(), "--port", "0", "--class",
                "org.apache.tomcat.util.net.NioEndpoint");
        assertThat(explain.code).as(explain.toString()).isZero();
        assertThat(explain.out).contains("'org-apache' (line", "MATCHES -> reservation 'tcp-block' (tcp " + BLOCK);

        // 4. enforce: every socket of the server in its reservation, the wildcard one in the suggested block
        try (SampleServer server = SampleServer.start(jdk.java, "tomcat", policy.toString(), events, List.of(),
                TomcatServer.class, Integer.toString(HTTP_PORT))) {
            Map<String, Integer> ports = server.awaitReady();
            assertThat(ports.get("admin")).isBetween(BLOCK_START, BLOCK_START + 9);
            for (int port : ports.values()) {
                assertThat(HttpServersIT.httpGet(port)).startsWith("hello from Tomcat");
            }
            server.assertEverySocketLandedInItsBlock(new Block("fixed-tcp-" + HTTP_PORT, "tcp", HTTP_PORT, 1, 1),
                    new Block("org-apache", "tcp", BLOCK_START, 10, 1));
            server.assertStopsCleanly();
        }

        // 5. report
        Cli report = cli(jdk, "report", events.toString(), "--policy", policy.toString());
        assertThat(report.code).as(report.toString()).isZero();
        // the admin connector, and the connections Tomcat makes to its own acceptors when it stops (implicit binds,
        // discovered too): all associated, all in the block
        long binds = Files.readAllLines(events).size();
        assertThat(report.out).contains(binds + " matched binds from 1 process", "tcp-block (tcp " + BLOCK + "): ",
                "fixed-tcp-" + HTTP_PORT + " -> tcp-" + HTTP_PORT + ": 1 matched: 1 associated",
                "org-apache -> tcp-block: " + (binds - 1) + " matched: " + (binds - 1) + " associated",
                "no bind failed or went ahead without its reservation").doesNotContain("FULL");
    }

    /** {@code java -jar portres-agent.jar <args>} on {@code jdk}, as an operator runs it. */
    record Cli(int code, String out, String err) {
    }

    static Cli cli(Jdk jdk, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(jdk.java);
        cmd.add("-jar");
        cmd.add(new File(System.getProperty("portres.agentJar")).getAbsolutePath());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("portres-cli", ".out");
        Path err = Files.createTempFile("portres-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended", cmd).isTrue();
            return new Cli(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }
}
