package io.portres.it.linux;

import io.portres.it.apps.SecurityManagerApp;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent under a Java SecurityManager (JDK 8 to 23; 24+ has none), installed at launch
 * ({@code -Djava.security.manager}) or at run time by the application ({@code System.setSecurityManager}, as Tomcat
 * does), with a policy that grants the application only its sockets. With the documented grant (the agent jar gets
 * AllPermission) matched binds land in their blocks and unmatched ones are untouched; without it the agent reports
 * once, stands aside, and {@code onPolicyError} decides whether the JVM stops (status 2); no bind ever fails.
 */
@EnabledOnOs(OS.LINUX)
class SecurityManagerIT {

    private static final int FIXED = 23500; // unmatched binds: 23500-23502
    private static final String REPORT = "portres cannot enforce under this SecurityManager";

    static List<Jdk> jdks() {
        List<Jdk> withManager = new ArrayList<Jdk>();
        for (Jdk jdk : JdkMatrix.jdks()) {
            if (jdk.feature <= 23) {
                withManager.add(jdk);
            }
        }
        return withManager;
    }

    private static String agentCodeBase() {
        return "file:" + new File(ForkedJvm.AGENT_JAR).getAbsolutePath();
    }

    /** The application's grant (its sockets, property reads), plus the agent's AllPermission when asked. */
    private static Path securityPolicy(Path dir, boolean grantAgent) throws Exception {
        String text = "grant codeBase \"file:" + new File(ForkedJvm.TEST_CLASSES).getAbsolutePath() + "/-\" {\n"
                + "  permission java.net.SocketPermission \"*:0-65535\", \"listen,accept,connect,resolve\";\n"
                + "  permission java.util.PropertyPermission \"*\", \"read\";\n"
                + "};\n"
                + (grantAgent ? "grant codeBase \"" + agentCodeBase() + "\" {\n"
                + "  permission java.security.AllPermission;\n};\n" : "");
        return Policies.write(dir, "java.policy", text);
    }

    private static ForkedJvm.Result run(Jdk jdk, Path dir, boolean atLaunch, boolean grantAgent, String onPolicyError)
            throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", Policies.enforceEveryWildcard("fail", Policies.TCP_BLOCK,
                Policies.UDP_BLOCK));
        List<String> jvmArgs = new ArrayList<String>();
        jvmArgs.add("-Djava.security.policy=" + securityPolicy(dir, grantAgent));
        if (atLaunch) {
            jvmArgs.add("-Djava.security.manager");
        } else if (jdk.feature >= 18) {
            jvmArgs.add("-Djava.security.manager=allow"); // JDK 18-23: run-time installation is opt-in
        }
        return ForkedJvm.on(jdk).jvmArgs(jvmArgs.toArray(new String[0]))
                .agent("policy=" + policy + (onPolicyError == null ? "" : ",onPolicyError=" + onPolicyError))
                .workDir(dir.toFile())
                .main(SecurityManagerApp.class.getName(), atLaunch ? "launch" : "runtime", String.valueOf(FIXED))
                .run();
    }

    /** Standard error without the JDK's own warnings about the SecurityManager's deprecation (JDK 17+). */
    private static List<String> agentLines(String stderr) {
        List<String> lines = new ArrayList<String>();
        for (String line : stderr.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("WARNING: ")) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static void unmatchedAreUntouched(ForkedJvm.Result r) {
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(r.stdout).as(r.toString()).doesNotContain("FAILED");
        assertThat(ports.get("unmatched-server-socket")).as(r.toString()).isEqualTo(FIXED);
        assertThat(ports.get("unmatched-server-socket-channel")).as(r.toString()).isEqualTo(FIXED + 1);
        assertThat(ports.get("unmatched-datagram-socket")).as(r.toString()).isEqualTo(FIXED + 2);
    }

    private static void matchedLandInTheirBlocks(ForkedJvm.Result r, Path dir) throws Exception {
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports.get("matched-server-socket")).as(r.toString()).isBetween(24000, 24099);
        assertThat(ports.get("matched-server-socket-channel")).as(r.toString()).isBetween(24000, 24099);
        assertThat(ports.get("matched-datagram-socket")).as(r.toString()).isBetween(25000, 25099);
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(r.toString()).hasSize(3);
        for (Map<String, Object> e : events) {
            assertThat(e.get("outcome")).as(e.toString()).isEqualTo("associated");
            long lo = "udp".equals(e.get("protocol")) ? 25000 : 24000;
            assertThat((Long) e.get("boundPort")).as(e.toString()).isBetween(lo, lo + 99);
        }
    }

    private static void matchedAreUntouched(ForkedJvm.Result r) {
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports.get("matched-server-socket")).as(r.toString()).isNotNull()
                .matches(p -> p < 24000 || p > 24099, "outside the block");
        assertThat(ports.get("matched-datagram-socket")).as(r.toString()).isNotNull()
                .matches(p -> p < 25000 || p > 25099, "outside the block");
    }

    private static String log(Path dir) throws Exception {
        return new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withTheGrantAManagerAtLaunchChangesNothing(Jdk jdk, @TempDir Path dir) throws Exception {
        withTheGrantNothingChanges(jdk, dir, true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withTheGrantAManagerInstalledByTheApplicationChangesNothing(Jdk jdk, @TempDir Path dir) throws Exception {
        withTheGrantNothingChanges(jdk, dir, false);
    }

    private static void withTheGrantNothingChanges(Jdk jdk, Path dir, boolean atLaunch) throws Exception {
        ForkedJvm.Result r = run(jdk, dir, atLaunch, true, null);
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(agentLines(r.stderr)).as(r.toString()).isEmpty();
        assertThat(r.stdout).contains("manager true");
        matchedLandInTheirBlocks(r, dir);
        unmatchedAreUntouched(r);
        assertThat(log(dir)).doesNotContain(REPORT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutTheGrantAtLaunchTheApplicationRunsWithoutTheAgentUnderContinue(Jdk jdk, @TempDir Path dir)
            throws Exception {
        ForkedJvm.Result r = run(jdk, dir, true, false, "continue");
        assertThat(r.exitCode).as(r.toString()).isZero();
        List<String> lines = agentLines(r.stderr);
        assertThat(lines).as(r.toString()).hasSize(1);
        assertThat(lines.get(0)).startsWith("[portres] WARN " + REPORT)
                .contains("grant codeBase \"" + agentCodeBase() + "\" { permission java.security.AllPermission; };")
                .contains("; to the policy file") // the manager does not let the agent read its name
                .endsWith("the agent is inactive and every bind proceeds as without it (onPolicyError=continue)");
        assertThat(r.stdout).contains("manager true");
        matchedAreUntouched(r);
        unmatchedAreUntouched(r);
        assertThat(dir.resolve("events.jsonl")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutTheGrantAtLaunchTheJvmStopsWithStatus2ByDefault(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result r = run(jdk, dir, true, false, null);
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        List<String> lines = agentLines(r.stderr);
        assertThat(lines).as(r.toString()).hasSize(1);
        assertThat(lines.get(0)).startsWith("[portres] ERROR " + REPORT)
                .endsWith("the JVM stops with status 2 (onPolicyError=fail; set onPolicyError=continue to run the"
                        + " application without the agent)");
        assertThat(r.stdout).doesNotContain("manager"); // main did not run
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutTheGrantAManagerInstalledLaterIsReportedOnceAndEveryBindProceeds(Jdk jdk, @TempDir Path dir)
            throws Exception {
        ForkedJvm.Result r = run(jdk, dir, false, false, "continue");
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(agentLines(r.stderr)).as(r.toString()).isEmpty();
        matchedAreUntouched(r);
        unmatchedAreUntouched(r);
        String log = log(dir);
        assertThat(count(log, REPORT)).as(log).isEqualTo(1);
        assertThat(log).contains("WARN " + REPORT).contains(agentCodeBase())
                .contains("the agent is inactive and every bind proceeds as without it (onPolicyError=continue)");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(r.toString()).hasSize(1);
        assertThat(events.get(0).get("outcome")).isEqualTo("inactive");
        assertThat((String) events.get(0).get("error")).startsWith(REPORT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutTheGrantAManagerInstalledLaterStopsTheJvmWithStatus2ByDefault(Jdk jdk, @TempDir Path dir)
            throws Exception {
        ForkedJvm.Result r = run(jdk, dir, false, false, null);
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stdout).doesNotContain("FAILED"); // the bind that found the manager proceeded
        String log = log(dir);
        assertThat(count(log, REPORT)).as(log).isEqualTo(1);
        assertThat(log).contains("ERROR " + REPORT).contains("the JVM stops with status 2");
    }
}
