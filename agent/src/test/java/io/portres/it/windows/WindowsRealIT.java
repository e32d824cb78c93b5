package io.portres.it.windows;

import io.portres.it.apps.BindEveryApi;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Windows backend against Windows itself (a Windows runner: .github/workflows/windows.yml). Skipped elsewhere;
 * on Linux the same behaviour is tested against the simulator ({@link WindowsBackendIT}). The persistent-reservation
 * tests need an elevated process (GitHub's Windows runners are) and are skipped with a message otherwise; they create
 * their block with {@code create: true} and delete it with netsh afterwards.
 */
@EnabledOnOs(OS.WINDOWS)
class WindowsRealIT {

    /** Below the default dynamic range (49152-65535), so that Windows accepts it as a persistent exclusion. */
    static final int START = 47100;
    static final int COUNT = 20;

    @TempDir
    Path dir;

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    static boolean elevated() {
        try {
            Process p = new ProcessBuilder("net", "session").redirectErrorStream(true).start();
            AppOutput.readAll(p.getInputStream());
            return p.waitFor() == 0; // "net session" needs an elevated token
        } catch (Exception e) {
            return false;
        }
    }

    @AfterEach
    void deleteThePersistentBlock() throws Exception {
        if (elevated()) {
            Process p = new ProcessBuilder("netsh", "int", "ipv4", "delete", "excludedportrange", "protocol=tcp",
                    "startport=" + START, "numberofports=" + COUNT, "store=persistent").redirectErrorStream(true)
                    .start();
            AppOutput.readAll(p.getInputStream());
            p.waitFor(); // fails harmlessly when the test made no block
        }
    }

    String log() throws Exception {
        return new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aRuntimeReservationSteersWildcardBindsWithoutElevation(Jdk jdk) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", Policies.enforceEveryWildcard("fail",
                "{ protocol: tcp, kind: runtime, count: 16 }", "{ protocol: udp, kind: runtime, count: 16 }"));
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all").workDir(dir.toFile()).agent(policy.toString())
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket-channel", "socket-bind",
                        "datagram-socket", "datagram-channel", "async-server-socket-channel").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertThat(r.stderr).as("nothing printed, no restricted-method warning on JDK 24+\n" + r).isEmpty();
        int tcp = Integer.parseInt(log().replaceAll("(?s).*\\(acquired tcp (\\d+)-\\d+\\).*", "$1"));
        int udp = Integer.parseInt(log().replaceAll("(?s).*\\(acquired udp (\\d+)-\\d+\\).*", "$1"));
        for (Map.Entry<String, Integer> e : AppOutput.ports(r.stdout).entrySet()) {
            int lo = e.getKey().startsWith("datagram") ? udp : tcp;
            assertThat(e.getValue()).as(e.getKey() + "\n" + log()).isBetween(lo, lo + 15);
        }
        for (Map<String, Object> e : Events.read(dir.resolve("events.jsonl"))) {
            assertThat(e).containsEntry("backend", "windows").containsEntry("outcome", "associated");
        }
    }

    /**
     * Issue 11 on Windows itself: full runtime blocks under {@code onError: continue}; the associated socket is
     * replaced by a fresh one, bound as requested, and used (WindowsScenarios {@code continue}). Also tells which
     * error Windows answers for a full block (the event's error quotes it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aFullRuntimeBlockUnderContinueBindsAFreshSocketAsRequested(Jdk jdk) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy("continue",
                "{ protocol: tcp, kind: runtime, count: 2 }", "{ protocol: udp, kind: runtime, count: 1 }"));
        ForkedJvm.Result r = ForkedJvm.on(jdk).workDir(dir.toFile()).agent(policy.toString())
                .main(WindowsScenarios.class.getName(), "continue", "2", "1").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        int tcp = Integer.parseInt(log().replaceAll("(?s).*\\(acquired tcp (\\d+)-\\d+\\).*", "$1"));
        int udp = Integer.parseInt(log().replaceAll("(?s).*\\(acquired udp (\\d+)\\).*", "$1"));
        for (String api : WindowsScenarios.AFTER_FULL) {
            int port = Integer.parseInt(r.stdout.replaceAll("(?s).*\\n" + api + " (\\d+)\\r?\\n.*", "$1"));
            assertThat(port).as(api + "\n" + r).isPositive().isNotIn(tcp, tcp + 1, udp);
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(log()).hasSize(3 + WindowsScenarios.AFTER_FULL.length);
        assertThat(events.subList(3, events.size())).allSatisfy(e -> assertThat(e).as(e.toString())
                .containsEntry("outcome", "continued"));
    }

    @Test
    void aPersistentReservationIsCreatedLookedUpAndUsedWhenElevated() throws Exception {
        Assumptions.assumeTrue(elevated(), "not elevated: persistent reservations need an elevated process");
        String policy = Policies.enforceEveryWildcard("fail", "{ protocol: tcp, startPort: " + START + ", count: "
                + COUNT + ", create: true }", "{ protocol: udp, kind: runtime, count: 8 }");
        Path file = Policies.write(dir, "policy.yaml", policy);
        ForkedJvm.Result first = ForkedJvm.on(JdkMatrix.current()).workDir(dir.toFile()).agent(file.toString())
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket").run();
        assertThat(first.exitCode).as(first + log()).isZero();
        assertThat(log()).contains("the process is elevated", "(created (create: true))");
        for (int port : AppOutput.ports(first.stdout).values()) {
            assertThat(port).isBetween(START, START + COUNT - 1);
        }
        ForkedJvm.Result second = ForkedJvm.on(JdkMatrix.current()).workDir(dir.toFile()).agent(file.toString())
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(second.exitCode).as(second + log()).isZero();
        assertThat(log()).contains("(looked up)");
        assertThat(AppOutput.ports(second.stdout).get("server-socket")).isBetween(START, START + COUNT - 1);
    }

    @Test
    void aFullPersistentBlockFailsTheBindNamingTheReservation() throws Exception {
        Assumptions.assumeTrue(elevated(), "not elevated: persistent reservations need an elevated process");
        String policy = Policies.enforceEveryWildcard("fail", "{ protocol: tcp, startPort: " + START + ", count: "
                + COUNT + ", create: true }", Policies.UDP_BLOCK);
        Path file = Policies.write(dir, "policy.yaml", policy);
        String[] binds = new String[COUNT + 1];
        java.util.Arrays.fill(binds, "server-socket");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).workDir(dir.toFile()).agent(file.toString())
                .main(BindEveryApi.class.getName(), binds).run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        assertThat(r.stdout).contains("the reservation is exhausted: no port of tcp " + START + "-"
                + (START + COUNT - 1) + " is free");
    }
}
