package io.portres.it.linux;

import io.portres.it.apps.BindAndReport;
import io.portres.it.apps.BindEveryApi;
import io.portres.it.apps.ConcurrentBinds;
import io.portres.it.apps.CreateRace;
import io.portres.it.apps.LinuxBlockApp;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
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
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The Linux backend on a real kernel: matched binds land in their blocks, on every API and JDK. */
@EnabledOnOs(OS.LINUX)
class LinuxBackendIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    static String enforcePolicy(String onError, int tcpCount) {
        return Policies.enforceEveryWildcard(onError, "{ protocol: tcp, startPort: 24000, count: " + tcpCount + " }",
                Policies.UDP_BLOCK);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void everyMatchedSocketLandsInItsBlock(Jdk jdk, @TempDir Path dir) throws Exception {
        check(jdk, dir);
    }

    @ParameterizedTest(name = "{0} with the legacy socket implementations")
    @MethodSource("jdks")
    void legacyImplementationsOnJdk17(Jdk jdk, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(jdk.feature >= 13 && jdk.feature <= 17, "legacy impls are selectable on 13-17");
        check(jdk, dir, "-Djdk.net.usePlainSocketImpl=true", "-Djdk.net.usePlainDatagramSocketImpl=true");
    }

    private void check(Jdk jdk, Path dir, String... jvmArgs) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", enforcePolicy("fail", 100));
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all").jvmArgs(jvmArgs)
                .agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "all").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports).hasSize(19);
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            boolean udp = e.getKey().startsWith("datagram") || e.getKey().startsWith("multicast");
            int lo = udp ? 25000 : 24000;
            assertThat(e.getValue()).as(e.getKey() + " on " + jdk + "\n" + r).isBetween(lo, lo + 99);
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(19);
        for (Map<String, Object> e : events) {
            assertThat(e.get("backend")).isEqualTo("linux");
            assertThat(e.get("outcome")).isEqualTo("associated");
            assertThat(e.get("token")).isNull();
            long bound = (Long) e.get("boundPort");
            long lo = "udp".equals(e.get("protocol")) ? 25000 : 24000;
            assertThat(bound).as(e.toString()).isBetween(lo, lo + 99);
        }
        // the unmatched peers on fixed ports are untouched
        assertThat(r.stdout).doesNotContain("FAILED");
        // the fix-it line sets the whole list: it must reserve both blocks at once, not one per line
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        if (log.contains("is not in net.ipv4.ip_local_reserved_ports")) {
            assertThat(log).contains("24000-24099,25000-25099 (or set create: true and run as root)")
                    .doesNotContain("ip_local_reserved_ports=24000-24099 (or");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void anIpv4OnlyClientChannelIsBoundInTheBlockBeforeConnect(Jdk jdk, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(jdk.feature >= 15, "SocketChannel.open(ProtocolFamily) is JDK 15+");
        Path policy = Policies.write(dir, "policy.yaml", enforcePolicy("fail", 100));
        ForkedJvm.Result r = ForkedJvm.on(jdk).agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "implicit-inet-channel-connect").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(AppOutput.ports(r.stdout).get("implicit-inet-channel-connect")).as(r.toString()).isBetween(24000, 24099);
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).containsEntry("address", null).containsEntry("outcome", "associated");
        assertThat((Long) events.get(0).get("boundPort")).isBetween(24000L, 24099L);
    }

    @Test
    void aFullBlockFailsTheBindUnderFail(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", enforcePolicy("fail", 2));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket", "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(3);
        assertThat(r.stdout).containsPattern("server-socket 2400[01]\nserver-socket 2400[01]\n")
                .contains("server-socket FAILED java.net.BindException: portres: rule 'tcp-wildcard' could not bind"
                        + " this tcp socket in reservation 'tcp-block' (tcp 24000-24001): the reservation is"
                        + " exhausted: all 2 ports of tcp 24000-24001 are in use");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(3);
        assertThat(events.get(2)).containsEntry("outcome", "failed").containsEntry("boundPort", null);
        assertThat((String) events.get(2).get("error")).startsWith("the reservation is exhausted");
    }

    @Test
    void aFullBlockBindsOutsideItUnderContinue(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", enforcePolicy("continue", 2));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "server-socket", "server-socket", "server-socket",
                        "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(4);
        assertThat(events.get(2)).containsEntry("outcome", "continued");
        assertThat((Long) events.get(2).get("boundPort")).isNotIn(24000L, 24001L);
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log.split("could not bind in reservation 'tcp-block'", -1)).as(log).hasSize(2);
    }

    @Test
    void aSpecificPortOutsideTheBlockGoesThroughWithAWarning(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: fixed, match: { port: 23002 }, reservation: block }\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).containsEntry("boundPort", 23002L).containsEntry("outcome", "outside");
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).contains("rules[0].match.port: port 23002 is outside reservation 'block'")
                .contains("a bind to port 23002 is outside reservation 'block' (tcp 24000-24009); it goes through"
                        + " unchanged");
    }

    @Test
    void sixtyFourThreadsOnAThirtyTwoPortBlock(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "log: { level: warn, file: portres.log }\n"
                + "reservations:\n"
                + "  small: { protocol: tcp, startPort: 40100, count: 32 }\n"
                + "rules:\n"
                + "  - { name: all, match: { port: 0 }, reservation: small }\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(ConcurrentBinds.class.getName(), "64", "3000").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        String last = r.stdout.trim().substring(r.stdout.trim().lastIndexOf('\n') + 1);
        String[] f = last.split(" ");
        Map<String, Long> c = new HashMap<String, Long>();
        for (int i = 0; i + 1 < f.length; i += 2) {
            c.put(f[i], Long.parseLong(f[i + 1]));
        }
        assertThat(c.get("duplicates")).as(r.toString()).isZero();
        assertThat(c.get("otherErrors")).as(r.toString()).isZero();
        assertThat(c.get("binds")).as(r.toString()).isGreaterThan(100);
        assertThat(c.get("exhausted")).as("64 threads on 32 ports must sometimes find the block full").isPositive();
        assertThat(c.get("fdsAfter")).as("no file-descriptor leak").isLessThanOrEqualTo(c.get("fdsBefore") + 2);
    }

    /** One block, one rule for every wildcard bind. */
    static String blockPolicy(String onError, String block) {
        return "version: 1\n"
                + "mode: enforce\n"
                + "onError: " + onError + "\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: " + block + "\n"
                + "rules:\n"
                + "  - { name: all, match: { port: 0 }, reservation: block }\n";
    }

    static ForkedJvm.Result runApp(Jdk jdk, Path dir, String policyYaml, String... args) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", policyYaml);
        return ForkedJvm.on(jdk).agent(policy.toString()).workDir(dir.toFile())
                .main(LinuxBlockApp.class.getName(), args).run();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void reusePortListenersNeverShareAPort(Jdk jdk, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(jdk.feature >= 9, "SO_REUSEPORT is a JDK 9+ option");
        ForkedJvm.Result r = runApp(jdk, dir, blockPolicy("fail", "{ protocol: tcp, startPort: 27000, count: 1 }"),
                "reuseport", "2");
        assertThat(r.stdout).as(r.toString()).contains("reuseport 27000\n")
                .contains("reuseport FAILED java.net.BindException: portres: rule 'all' could not bind this tcp"
                        + " socket in reservation 'block' (tcp 27000): the reservation is exhausted: all 1 ports of"
                        + " tcp 27000 are in use");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void multicastSocketsNeverShareAPort(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result r = runApp(jdk, dir, blockPolicy("fail", "{ protocol: udp, startPort: 27010, count: 4 }"),
                "multicast", "5");
        Map<String, Integer> seen = new HashMap<String, Integer>();
        for (String line : r.stdout.split("\n")) {
            if (line.matches("multicast \\d+")) {
                assertThat(seen.put(line, 1)).as("a port handed out twice: " + line + "\n" + r).isNull();
                assertThat(Integer.parseInt(line.substring(10))).isBetween(27010, 27013);
            }
        }
        assertThat(seen).as(r.toString()).hasSize(4);
        assertThat(r.stdout).contains("multicast FAILED java.net.BindException: portres: rule 'all' could not bind"
                + " this udp socket in reservation 'block' (udp 27010-27013): the reservation is exhausted: all 4"
                + " ports of udp 27010-27013 are in use");
    }

    /** glibc's messages are localized: the JDK's BindException says "Die Adresse wird bereits verwendet". */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aFullBlockUnderContinueBindsOutsideItInAGermanLocale(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml",
                blockPolicy("continue", "{ protocol: tcp, startPort: 27020, count: 2 }"));
        ForkedJvm.Result r = ForkedJvm.on(jdk).agent(policy.toString()).workDir(dir.toFile())
                .env("LC_ALL", "de_DE.UTF-8").env("LANG", "de_DE.UTF-8")
                .main(LinuxBlockApp.class.getName(), "server", "3").run();
        ForkedJvm.Result german = ForkedJvm.on(jdk).env("LC_ALL", "de_DE.UTF-8")
                .main(LinuxBlockApp.class.getName(), "conflict", "27029").run();
        assertThat(german.stdout).as("the de_DE.UTF-8 locale is missing (generate it: localedef -i de_DE -f UTF-8"
                + " de_DE.UTF-8; scripts/test.sh does)\n" + german).contains("conflict Die Adresse wird bereits"
                + " verwendet");
        assertThat(r.stdout).as(r.toString()).containsPattern("server 2702[01]\nserver 2702[01]\nserver \\d+\n")
                .doesNotContain("FAILED");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(3);
        assertThat(events.get(2)).containsEntry("outcome", "continued");
        assertThat((String) events.get(2).get("error")).startsWith("the reservation is exhausted: all 2 ports");
    }

    /**
     * Passive-FTP-like data connections, the server closing first: every port of the block is left in TIME_WAIT
     * after {@code count} transfers. The block serves at least as many as the server's own port range does.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aBlockServesMoreTransfersThanPortsWhilePortsAreInTimeWait(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result own = ForkedJvm.on(jdk).workDir(dir.toFile())
                .main(LinuxBlockApp.class.getName(), "passive-range", "15", "27040", "5").run();
        assertThat(own.stdout).as(own.toString()).contains("served 15 of 15");
        ForkedJvm.Result r = runApp(jdk, dir, blockPolicy("fail", "{ protocol: tcp, startPort: 27030, count: 5 }"),
                "passive", "15", "5");
        assertThat(r.stdout).as(r.toString()).contains("served 15 of 15");
        assertThat(ports(r.stdout, "transfer ")).hasSize(15).allSatisfy(p -> assertThat(p).isBetween(27030, 27034));
        // then five listeners at once over the five TIME_WAIT ports: one port each, and a sixth finds none
        List<Integer> servers = ports(r.stdout, "server ");
        assertThat(servers).as(r.toString()).hasSize(5).doesNotHaveDuplicates()
                .allSatisfy(p -> assertThat(p).isBetween(27030, 27034));
        assertThat(r.stdout).contains("server FAILED java.net.BindException: portres: rule 'all' could not bind this"
                + " tcp socket in reservation 'block' (tcp 27030-27034): the reservation is exhausted: all 5 ports"
                + " of tcp 27030-27034 are in use");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(21);
        assertThat(events.subList(0, 20)).allSatisfy(e -> assertThat(e).containsEntry("outcome", "associated"));
    }

    /** The ports of the lines {@code <prefix><i> <port>} or {@code <prefix><port>}. */
    static List<Integer> ports(String stdout, String prefix) {
        List<Integer> out = new ArrayList<Integer>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith(prefix) && line.matches(".* \\d+")) {
                out.add(Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return out;
    }

    /** Runs {@link CreateRace} as root in a network namespace of its own. */
    static String createRace(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<String>(Arrays.asList("unshare", "-n"));
        cmd.addAll(ForkedJvm.on(JdkMatrix.current()).classpath(System.getProperty("java.class.path"))
                .main(CreateRace.class.getName(), args).command());
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = AppOutput.readAll(p.getInputStream());
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void backendsCreatingBlocksAtOnceKeepEachOthersBlocks(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(isRootWithUnshare(), "SKIPPED: needs root and unshare -n (network namespaces)");
        String out = createRace(dir, "threads", "8", "20");
        assertThat(out).contains("lost 0 of 160");
    }

    @Test
    void aJvmCreatingItsBlockWaitsForAnotherWriterAndKeepsItsChange(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(isRootWithUnshare(), "SKIPPED: needs root and unshare -n (network namespaces)");
        Path policy = Policies.write(dir, "policy.yaml", blockPolicy("fail",
                "{ protocol: tcp, startPort: 27200, count: 10, create: true }"));
        List<String> agentJvm = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString())
                .main(LinuxBlockApp.class.getName(), "server", "1").command();
        List<String> args = new ArrayList<String>(Arrays.asList("hold", dir.toString()));
        args.addAll(agentJvm);
        String out = createRace(dir, args.toArray(new String[0]));
        assertThat(out).contains("child waited for the lock").contains("child exit 0")
                .containsPattern("server 2720\\d").contains("reserved=1000,27200-27209,27300-27309");
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).contains("added reservation 'block' (tcp 27200-27209) to net.ipv4.ip_local_reserved_ports")
                .doesNotContain("WARN");
    }

    static boolean isRootWithUnshare() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "true").redirectErrorStream(true).start();
            AppOutput.readAll(p.getInputStream());
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
