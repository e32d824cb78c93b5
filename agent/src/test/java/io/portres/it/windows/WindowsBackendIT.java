package io.portres.it.windows;

import io.portres.it.apps.BindEveryApi;
import io.portres.it.apps.ConflictingLibraries;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unchanged Windows backend (JNA bindings included) against the Windows-semantics simulator (winsim/): the
 * forked JVM runs with {@code LD_PRELOAD=libportres-winsim.so} (the simulator's bind and connect) and
 * {@code -Dportres.windows.library} pointing every DLL at the simulator. Persistent reservations are made
 * beforehand with {@code winsimctl}, the simulator's netsh; elevation is {@code WINSIM_ELEVATED=1}.
 */
@EnabledOnOs(OS.LINUX)
class WindowsBackendIT {

    static final File WINSIM = new File(System.getProperty("portres.winsim", "target/winsim")).getAbsoluteFile();
    static final File LIBRARY = new File(WINSIM, "libportres-winsim.so");
    static final File CTL = new File(WINSIM, "winsimctl");

    @TempDir
    Path dir;

    @BeforeAll
    static void simulatorIsBuilt() {
        assertThat(LIBRARY).as("the build makes the simulator (agent/pom.xml, winsim-build)").isFile();
        assertThat(CTL).isFile();
    }

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    /** A JVM under the simulator: the agent on {@code policy}, windows backend, the store in the test folder. */
    ForkedJvm underSimulator(Jdk jdk, boolean elevated, Path policy, String... extraEnv) {
        ForkedJvm jvm = ForkedJvm.on(jdk).jvmArgs("-Xverify:all",
                        "-Dportres.windows.library=" + LIBRARY.getPath())
                .agent(policy + ",backend=windows")
                .workDir(dir.toFile())
                .env("LD_PRELOAD", LIBRARY.getPath())
                .env("WINSIM_STORE", store())
                .env("WINSIM_ELEVATED", elevated ? "1" : "0");
        for (int i = 0; i + 1 < extraEnv.length; i += 2) {
            jvm.env(extraEnv[i], extraEnv[i + 1]);
        }
        return jvm;
    }

    String store() {
        return dir.resolve("winsim.store").toString();
    }

    /** Runs winsimctl (an elevated administrator) and returns its standard output, trimmed. */
    String winsimctl(String... args) throws Exception {
        return winsimctlOn(store(), args);
    }

    /** winsimctl on the store file {@code store} (also WindowsJvmIT's: the shim reads the same file). */
    static String winsimctlOn(String store, String... args) throws Exception {
        List<String> cmd = new ArrayList<String>();
        cmd.add(CTL.getPath());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("WINSIM_STORE", store);
        pb.environment().remove("LD_PRELOAD");
        Process p = pb.start();
        String out = AppOutput.readAll(p.getInputStream());
        assertThat(p.waitFor()).as("winsimctl " + cmd + ": " + out).isZero();
        return out.trim();
    }

    static String policy(String onError, String tcpReservation, String udpReservation) {
        return Policies.enforceEveryWildcard(onError, tcpReservation, udpReservation);
    }

    static final String TCP_PERSISTENT = Policies.TCP_BLOCK;
    static final String UDP_PERSISTENT = Policies.UDP_BLOCK;

    String log() throws IOException {
        Path p = dir.resolve("portres.log");
        return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void everyMatchedSocketOfEveryApiLandsInItsPersistentBlock(Jdk jdk) throws Exception {
        String tcpToken = winsimctl("create", "tcp", "24000", "100");
        String udpToken = winsimctl("create", "udp", "25000", "100");
        Path policy = Policies.write(dir, "policy.yaml", policy("fail", TCP_PERSISTENT, UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(jdk, true, policy)
                .main(BindEveryApi.class.getName(), "all").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        // JDK 24+ would print "restricted method" warnings here if the agent's JNA module lacked native access
        assertThat(r.stderr).as(r.toString()).isEmpty();
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports).as(r.toString()).hasSize(19);
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            boolean udp = e.getKey().startsWith("datagram") || e.getKey().startsWith("multicast");
            int lo = udp ? 25000 : 24000;
            assertThat(e.getValue()).as(e.getKey() + " on " + jdk + "\n" + r + log()).isBetween(lo, lo + 99);
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(19);
        for (Map<String, Object> e : events) {
            boolean udp = "udp".equals(e.get("protocol"));
            assertThat(e).as(e.toString()).containsEntry("backend", "windows").containsEntry("outcome", "associated")
                    .containsEntry("token", udp ? udpToken : tcpToken).containsEntry("error", null);
            if (e.get("boundPort") != null) { // implicit binds: the port is chosen inside connect
                assertThat((Long) e.get("boundPort")).as(e.toString()).isBetween(udp ? 25000L : 24000L,
                        udp ? 25099L : 24099L);
            }
        }
        assertThat(log()).contains("token " + tcpToken + " (looked up)", "the process is elevated",
                "bind() interposed");
        if (jdk.feature >= 22) {
            assertThat(log()).contains("native access enabled");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aRuntimeReservationNeedsNoElevation(Jdk jdk) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", policy("fail",
                "{ protocol: tcp, kind: runtime, count: 16 }", "{ protocol: udp, kind: runtime, startPort: 45000,"
                        + " count: 8 }"));
        ForkedJvm.Result r = underSimulator(jdk, false, policy)
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket-channel", "datagram-socket",
                        "datagram-channel").run();
        assertThat(r.exitCode).as(r.toString() + log()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        assertThat(log()).contains("the process is not elevated",
                "reservation 'tcp-block' (tcp any 16-port block, runtime): token 0x",
                "reservation 'udp-block' (udp 45000-45007, runtime): token 0x", "(acquired udp 45000-45007)");
        String acquired = log().replaceAll("(?s).*\\(acquired tcp (\\d+)-\\d+\\).*", "$1");
        int tcpStart = Integer.parseInt(acquired);
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports.get("server-socket")).isBetween(tcpStart, tcpStart + 15);
        assertThat(ports.get("server-socket-channel")).isBetween(tcpStart, tcpStart + 15);
        assertThat(ports.get("datagram-socket")).isBetween(45000, 45007);
        assertThat(ports.get("datagram-channel")).isBetween(45000, 45007);
        // the runtime reservations ended with the process
        assertThat(winsimctl("list")).doesNotContain("runtime");
    }

    @Test
    void aFullBlockFailsTheBindWithTheReservationNamed() throws Exception {
        winsimctl("create", "tcp", "24000", "2");
        Path policy = Policies.write(dir, "policy.yaml", policy("fail",
                "{ protocol: tcp, startPort: 24000, count: 2 }", UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), true, policy)
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket", "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).containsPattern("server-socket 2400[01]\nserver-socket 2400[01]\n")
                .contains("server-socket FAILED java.net.BindException: portres: rule 'tcp-wildcard' could not bind"
                        + " this tcp socket in reservation 'tcp-block' (tcp 24000-24001): the reservation is"
                        + " exhausted: no port of tcp 24000-24001 is free");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(3);
        assertThat(events.get(2)).containsEntry("outcome", "failed").containsEntry("boundPort", null);
        assertThat((String) events.get(2).get("error")).startsWith("the reservation is exhausted: no port of tcp"
                + " 24000-24001 is free");
    }

    /** Every JDK with the default answer to a full block, and the other two plausible answers on this JDK. */
    static List<org.junit.jupiter.params.provider.Arguments> fullBlocks() {
        List<org.junit.jupiter.params.provider.Arguments> out = new ArrayList<>();
        for (Jdk jdk : jdks()) {
            out.add(org.junit.jupiter.params.provider.Arguments.of(jdk, "addrinuse", ""));
            if (jdk.feature == 17) { // the legacy impls, by switch
                out.add(org.junit.jupiter.params.provider.Arguments.of(jdk, "addrinuse", "legacy"));
            }
        }
        out.add(org.junit.jupiter.params.provider.Arguments.of(JdkMatrix.current(), "nobufs", ""));
        out.add(org.junit.jupiter.params.provider.Arguments.of(JdkMatrix.current(), "acces", ""));
        return out;
    }

    /**
     * Issue 11: a full block under {@code onError: continue} binds as requested, whatever Windows answers. The socket
     * stays associated after the failed bind, so the agent binds a fresh socket in its place: each one must then
     * work (a connection accepted through a Selector, a datagram received), outside the block, with the event
     * {@code continued} and the reason.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("fullBlocks")
    void aFullBlockUnderContinueBindsAFreshSocketAsRequested(Jdk jdk, String answer, String legacy) throws Exception {
        winsimctl("create", "tcp", "24000", "2");
        winsimctl("create", "udp", "25000", "1");
        Path policy = Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy("continue",
                "{ protocol: tcp, startPort: 24000, count: 2 }", "{ protocol: udp, startPort: 25000, count: 1 }"));
        ForkedJvm jvm = underSimulator(jdk, true, policy, "WINSIM_EXHAUSTED", answer);
        if (!legacy.isEmpty()) {
            jvm.jvmArgs("-Djdk.net.usePlainSocketImpl=true", "-Djdk.net.usePlainDatagramSocketImpl=true");
        }
        ForkedJvm.Result r = jvm.main(WindowsScenarios.class.getName(), "continue", "2", "1").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertThat(r.stdout).as(r.toString()).containsPattern("fill-tcp 2400[01]\nfill-tcp 2400[01]\nfill-udp 25000\n");
        for (String api : WindowsScenarios.AFTER_FULL) {
            int port = Integer.parseInt(r.stdout.replaceAll("(?s).*\n" + api + " (\\d+)\n.*", "$1"));
            assertThat(port).as(api + "\n" + r).isPositive().isNotIn(24000, 24001, 25000);
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(log()).hasSize(3 + WindowsScenarios.AFTER_FULL.length);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
        assertThat(events.subList(3, events.size())).allSatisfy(e -> assertThat(e).as(e.toString())
                .containsEntry("outcome", "continued").hasEntrySatisfying("error", error -> assertThat((String) error)
                        .startsWith("the reservation is exhausted: no port of ")
                        .endsWith("(the associated socket was replaced by a fresh one, bound as requested)")));
        assertThat(r.stderr).as(r.toString()).isEmpty();
    }

    /**
     * An asynchronous channel's socket is registered with the I/O completion port (Windows) or the event port (Unix)
     * when the channel is created, and a channel registered with a selector before its bind has its old socket in the
     * selector, so neither can be replaced: under {@code continue} a full block fails its bind with the JDK's own
     * exception, and the event ({@code failed}) and the log say why.
     */
    @Test
    void aFullBlockUnderContinueFailsAnAsynchronousOrPreRegisteredChannelWithTheReasonRecorded() throws Exception {
        winsimctl("create", "tcp", "24000", "1");
        winsimctl("create", "udp", "25000", "1");
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), true, Policies.write(dir, "policy.yaml",
                WindowsScenarios.fullBlockPolicy("continue", "{ protocol: tcp, startPort: 24000, count: 1 }",
                        "{ protocol: udp, startPort: 25000, count: 1 }")))
                .main(WindowsScenarios.class.getName(), "continue-async").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        assertThat(r.stdout).as(r.toString()).contains("async-server-socket-channel FAILED java.net.BindException: ")
                .doesNotContain("portres:");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(log()).hasSize(4);
        assertThat(events.get(1)).containsEntry("outcome", "failed").hasEntrySatisfying("error", error ->
                assertThat((String) error).startsWith("the reservation is exhausted: no port of ").contains(
                        "onError: continue could not bind as requested: the socket keeps its association and an"
                        + " asynchronous channel (sun.nio.ch.", "cannot be replaced"));
        assertThat(r.stdout).contains("registered-datagram-channel FAILED java.net.BindException: ");
        assertThat(events.get(3)).containsEntry("outcome", "failed").hasEntrySatisfying("error", error ->
                assertThat((String) error).endsWith("the channel is registered with a selector already, which holds"
                        + " its old socket"));
        assertThat(log()).contains("onError: continue could not bind a tcp bind 0.0.0.0:0 as requested");
    }

    @Test
    void aFullBlockUnderFailThrowsPortresBindExceptionForEveryApi() throws Exception {
        winsimctl("create", "tcp", "24000", "2");
        winsimctl("create", "udp", "25000", "1");
        Path policy = Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy("fail",
                "{ protocol: tcp, startPort: 24000, count: 2 }", "{ protocol: udp, startPort: 25000, count: 1 }"));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), true, policy)
                .main(WindowsScenarios.class.getName(), "continue", "2", "1").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        for (String api : WindowsScenarios.AFTER_FULL) {
            assertThat(r.stdout).as(r.toString()).contains(api + " FAILED java.net.BindException: portres: rule '"
                    + (api.startsWith("datagram") ? "udp" : "tcp") + "-wildcard' could not bind this "
                    + (api.startsWith("datagram") ? "udp" : "tcp") + " socket in reservation");
        }
        assertThat(Events.read(dir.resolve("events.jsonl"))).hasSize(3 + WindowsScenarios.AFTER_FULL.length);
    }

    @Test
    void aNonElevatedProcessFailsThePersistentAssociationUnderFail() throws Exception {
        winsimctl("create", "tcp", "24000", "100");
        Path policy = Policies.write(dir, "policy.yaml", policy("fail", TCP_PERSISTENT, UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), false, policy)
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).contains("server-socket FAILED java.net.BindException: portres: rule 'tcp-wildcard'"
                + " could not associate this tcp socket with reservation 'tcp-block' (tcp 24000-24099):"
                + " associating a socket with a persistent reservation needs an elevated process",
                "WSAEACCES (10013)", "or use a runtime reservation (kind: runtime)");
        assertThat(log()).contains("WARN windows: reservation 'tcp-block'",
                "matched binds will fail with WSAEACCES (run elevated, or use kind: runtime)");
        Map<String, Object> e = Events.read(dir.resolve("events.jsonl")).get(0);
        assertThat(e).containsEntry("outcome", "failed").containsEntry("boundPort", null);
        assertThat((String) e.get("error")).contains("WSAEACCES");
    }

    @Test
    void aNonElevatedProcessBindsAsRequestedUnderContinue() throws Exception {
        winsimctl("create", "tcp", "24000", "100");
        Path policy = Policies.write(dir, "policy.yaml", policy("continue", TCP_PERSISTENT, UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), false, policy)
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        for (int port : AppOutput.ports(r.stdout).values()) {
            assertThat(port < 24000 || port > 24099).as("port " + port + " outside the block").isTrue();
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(2).allSatisfy(e -> assertThat(e).containsEntry("outcome", "continued"));
        // warned once per rule and cause, not once per bind
        assertThat(log().split("failed, binding without it", -1).length - 1).as(log()).isEqualTo(1);
    }

    @Test
    void aWrongLiteralTokenIsRefusedWithWsaeinval() throws Exception {
        winsimctl("create", "tcp", "24000", "100");
        Path policy = Policies.write(dir, "policy.yaml", policy("fail",
                "{ protocol: tcp, startPort: 24000, count: 100, token: \"0x0123456789ABCDEF\" }", UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), true, policy)
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).contains("WSAEINVAL (10022)", "0x0123456789ABCDEF");
        assertThat(log()).contains("token 0x0123456789ABCDEF (literal token from the policy)");
        Map<String, Object> e = Events.read(dir.resolve("events.jsonl")).get(0);
        assertThat(e).containsEntry("token", "0x0123456789ABCDEF").containsEntry("outcome", "failed");
    }

    @Test
    void afterARebootTheAgentFindsTheNewTokenByLookup() throws Exception {
        String before = winsimctl("create", "tcp", "24000", "100");
        Path policy = Policies.write(dir, "policy.yaml", policy("fail", TCP_PERSISTENT, UDP_PERSISTENT));
        ForkedJvm.Result first = underSimulator(JdkMatrix.current(), true, policy)
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(first.exitCode).as(first.toString()).isZero();
        winsimctl("reboot");
        String after = winsimctl("lookup", "tcp", "24000", "100");
        assertThat(after).isNotEqualTo(before);
        ForkedJvm.Result second = underSimulator(JdkMatrix.current(), true, policy)
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(second.exitCode).as(second.toString()).isZero();
        assertThat(AppOutput.ports(second.stdout).get("server-socket")).isBetween(24000, 24099);
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).extracting(e -> e.get("token")).containsExactly(before, after);
    }

    @Test
    void createTrueMakesAMissingPersistentReservation() throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", policy("fail",
                "{ protocol: tcp, startPort: 24000, count: 100, create: true }", UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(JdkMatrix.current(), true, policy)
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(AppOutput.ports(r.stdout).get("server-socket")).isBetween(24000, 24099);
        String token = winsimctl("lookup", "tcp", "24000", "100");
        assertThat(log()).contains("token " + token + " (created (create: true))");
        // udp-block has no reservation and create: false: the lookup failure names the fix
        assertThat(log()).contains("reservation 'udp-block'", "ERROR_NOT_FOUND");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void theAgentsJnaAndTheApplicationsOwnJnaLiveSideBySide(Jdk jdk) throws Exception {
        winsimctl("create", "tcp", "24000", "100");
        File libs = new File(System.getProperty("portres.conflictLibs", "target/conflict-libs"));
        StringBuilder cp = new StringBuilder(ForkedJvm.TEST_CLASSES);
        for (File j : libs.listFiles()) {
            cp.append(File.pathSeparator).append(j.getAbsolutePath());
        }
        Path policy = Policies.write(dir, "policy.yaml", policy("fail", TCP_PERSISTENT, UDP_PERSISTENT));
        ForkedJvm.Result r = underSimulator(jdk, true, policy).classpath(cp.toString())
                .main(ConflictingLibraries.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).contains("jna-5.13.0.jar");
        assertThat(Integer.parseInt(r.stdout.replaceAll("(?s).*\\nbound (\\d+).*", "$1"))).as(r.toString())
                .isBetween(24000, 24099);
        assertThat(log()).contains("through JNA ").doesNotContain("through JNA 5.13.0");
        for (String line : r.stderr.split("\n")) {
            // JDK 24+ warns when the application's own JNA loads its native library: not ours to silence
            if (!line.isEmpty()) {
                assertThat(jdk.feature).as(r.toString()).isGreaterThanOrEqualTo(24);
                assertThat(line).as(r.toString()).startsWith("WARNING: ").doesNotContain("io.portres");
            }
        }
    }

    @Test
    void strictModeRefusesAnUnassociatedBindInsideAPersistentBlockUnlessARuleAssociatesIt() throws Exception {
        winsimctl("create", "tcp", "24000", "100");
        String fixed = "version: 1\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 100 }\n"
                + "rules:\n"
                + "  - { name: fixed, match: { port: 24005 }, reservation: block }\n";
        Path policy = Policies.write(dir, "policy.yaml", fixed);
        ForkedJvm.Result matched = underSimulator(JdkMatrix.current(), true, policy, "WINSIM_STRICT", "1")
                .jvmArgs("-DserverPort=24005")
                .main(BindEveryApi.class.getName()).run();
        assertThat(matched.exitCode).as(matched.toString() + log()).isZero();
        assertThat(Events.read(dir.resolve("events.jsonl"))).singleElement()
                .satisfies(e -> assertThat(e).containsEntry("outcome", "associated")
                        .containsEntry("boundPort", 24005L));

        // the same bind with no rule for it: strict Windows refuses it
        Policies.write(dir, "policy.yaml", fixed.replace("port: 24005", "port: 24006"));
        ForkedJvm.Result unmatched = underSimulator(JdkMatrix.current(), true, policy, "WINSIM_STRICT", "1")
                .jvmArgs("-DserverPort=24005")
                .main(BindEveryApi.class.getName()).run();
        assertThat(unmatched.exitCode).as(unmatched.toString()).isNotZero();
        assertThat(unmatched.stderr).contains("java.net.BindException");
    }

    /** A runtime reservation per policy: 'a' and 'k' define the same block (46000-46015), 'c' another (46100-46115). */
    static String runtimePolicy(char which) {
        boolean other = which == 'c';
        return "version: 1\n"
                + "log: { level: warn, file: " + which + ".log, events: " + which + ".jsonl }\n"
                + "reservations:\n"
                + "  " + (other ? "rc" : "rt") + ": { protocol: tcp, kind: runtime, startPort: " + (other ? 46100 : 46000)
                + ", count: 16 }\n"
                + "rules:\n"
                + "  - { name: servers, match: { port: 0 }, reservation: " + (other ? "rc" : "rt") + " }\n";
    }

    /** The runtime reservations the simulator holds: "tcp 46000 16 runtime 0x... pid n" lines. */
    List<String> runtimeReservations() throws Exception {
        List<String> held = new ArrayList<String>();
        for (String l : winsimctl("list").split("\n")) {
            if (l.contains(" runtime ")) {
                held.add(l.trim());
            }
        }
        return held;
    }

    /** Waits (at most 10 s) until exactly one runtime reservation is held, starting at {@code start}; returns it. */
    String awaitOnlyRuntimeReservation(int start) throws Exception {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        List<String> held = runtimeReservations();
        while (System.nanoTime() < end && !(held.size() == 1 && held.get(0).startsWith("tcp " + start + " "))) {
            Thread.sleep(20);
            held = runtimeReservations();
        }
        assertThat(held).as("runtime reservations held").singleElement().asString().startsWith("tcp " + start + " ");
        return held.get(0);
    }

    @Test
    void reloadsKeepAnIdenticalRuntimeReservationReleaseTheOthersAndLeakNothing() throws Exception {
        io.portres.it.support.PolicyFile file = new io.portres.it.support.PolicyFile(dir.resolve("policy.yaml"));
        Files.write(file.path(), runtimePolicy('a').getBytes(StandardCharsets.UTF_8));
        io.portres.it.support.EventTail tail = new io.portres.it.support.EventTail(dir.resolve("a.jsonl"),
                dir.resolve("k.jsonl"), dir.resolve("c.jsonl"));
        Path stop = dir.resolve("stop");
        ForkedJvm jvm = underSimulator(JdkMatrix.current(), false, file.path())
                .jvmArgs("-Dportres.reload=true", "-Dportres.reloadPollMillis=40", "-Dportres.jmx=false")
                // one binding thread: concurrent wildcard binds in one simulated block can be handed one port
                // twice (the second listen then fails), with or without reloads; that is not what this test is about
                .main(io.portres.it.apps.ReloadStress.class.getName(), "1", stop.toString(), "46000", "46115");
        int cycles = 12;
        int reloaded = 0;
        int baselineFds = -1;
        try (io.portres.it.support.RunningJvm app = new io.portres.it.support.RunningJvm(jvm.processBuilder())) {
            app.awaitFds();
            String held = awaitOnlyRuntimeReservation(46000);
            for (int cycle = 0; cycle < cycles; cycle++) {
                // the same block under another policy: kept, same token, not acquired again
                file.replaceAtomically(runtimePolicy('k'));
                awaitCount(tail, "reloaded", ++reloaded);
                assertThat(awaitOnlyRuntimeReservation(46000)).as("kept across the reload").isEqualTo(held);
                // another block: acquired, and the first released once the old policy retired
                file.replaceAtomically(runtimePolicy('c'));
                awaitCount(tail, "reloaded", ++reloaded);
                awaitOnlyRuntimeReservation(46100);
                file.replaceAtomically("version: 1\nrules: [ not a policy " + cycle + "\n");
                awaitCount(tail, "reload-failed", cycle + 1);
                assertThat(tail.count("reloaded")).isEqualTo(reloaded);
                // back to the first block, under its fixed startPort: acquired again
                file.replaceAtomically(runtimePolicy('a'));
                awaitCount(tail, "reloaded", ++reloaded);
                held = awaitOnlyRuntimeReservation(46000);
                if (cycle == 1) {
                    Thread.sleep(300);
                    baselineFds = app.lastFds();
                }
            }
            Thread.sleep(300);
            int lastFds = app.lastFds();
            int exit = app.stop(stop);
            String all = app.text();
            assertThat(exit).as(all).isZero();
            assertThat(all).doesNotContain("OUTSIDE ").doesNotContain("ERROR ").doesNotContain("WSAEADDRINUSE");
            assertThat(lastFds).as("descriptors after " + (4 * cycles) + " changes, against after 8")
                    .isBetween(baselineFds - 2, baselineFds + 2);
        }
        assertThat(runtimeReservations()).as("released when the JVM ended").isEmpty();
        Map<String, Integer> blocks = new java.util.HashMap<>();
        blocks.put("rt", 46000);
        blocks.put("rc", 46100);
        long binds = Events.assertAssociatedInBlocks("servers", blocks, 16, dir.resolve("a.jsonl"),
                dir.resolve("k.jsonl"), dir.resolve("c.jsonl"));
        assertThat(binds).isGreaterThan(100);
    }

    private static void awaitCount(io.portres.it.support.EventTail tail, String outcome, int n) throws Exception {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (tail.count(outcome) < n && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(tail.count(outcome)).as(outcome).isEqualTo(n);
    }
}
