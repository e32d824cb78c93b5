package io.portres.it;

import io.portres.cli.JsonLines;
import io.portres.it.apps.BindEveryApi;
import io.portres.it.support.AppOutput;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code discover=<file>}: every bind of the JVM recorded, on every JDK of the matrix, with and without a policy, and
 * nothing changed; and the rules that matched no bind reported at exit, with the glob that would have matched.
 */
class DiscoverIT {

    static final String APP = BindEveryApi.class.getName();
    static final List<String> FIELDS = Arrays.asList("time", "pid", "thread", "protocol", "address", "port",
            "boundPort", "implicit", "frames", "error");

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    static List<Map<String, Object>> read(Path file) throws Exception {
        List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JsonLines.parse(line));
        }
        return out;
    }

    static boolean udp(String api) {
        return api.startsWith("datagram") || api.startsWith("multicast");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutAPolicyEveryBindIsRecordedAndNothingChanges(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all").agent("discover=discovery.jsonl")
                .workDir(dir.toFile()).main(APP, "all").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        List<Map<String, Object>> records = read(dir.resolve("discovery.jsonl"));
        Map<String, Integer> ports = AppOutput.ports(r.stdout);
        assertThat(ports).hasSize(19);
        // 19 APIs and the two peers on fixed ports, each exactly once: no bind of the agent's own, none missed
        assertThat(records).as(records.toString()).hasSize(21);
        for (Map<String, Object> rec : records) {
            assertThat(new ArrayList<String>(rec.keySet())).isEqualTo(FIELDS);
            assertThat((List<?>) rec.get("frames")).as(rec.toString()).first().isEqualTo(APP);
            assertThat(rec.get("thread")).isEqualTo("main");
            assertThat(rec.get("error")).isNull();
        }
        for (Map.Entry<String, Integer> api : ports.entrySet()) {
            if (api.getKey().startsWith("implicit-")) {
                continue;
            }
            Map<String, Object> rec = byBoundPort(records, api.getValue());
            assertThat(rec).as(api + " in " + records).isNotNull();
            assertThat(rec.get("protocol")).as(api.getKey()).isEqualTo(udp(api.getKey()) ? "udp" : "tcp");
            assertThat(rec.get("port")).as(api.getKey()).isEqualTo(0L);
            assertThat(rec.get("implicit")).isEqualTo(false);
            // nothing changed: an unconfined wildcard bind gets an ephemeral port, as without the agent
            assertThat(api.getValue()).as(api.getKey()).isGreaterThanOrEqualTo(32768);
        }
        int implicit = 0;
        for (Map<String, Object> rec : records) {
            if (Boolean.TRUE.equals(rec.get("implicit"))) {
                implicit++;
                assertThat(rec.get("protocol")).isEqualTo("tcp");
                assertThat(rec.get("address")).isNull();
                assertThat(rec.get("boundPort")).isNull();
            }
        }
        assertThat(implicit).isEqualTo(2);
        Map<String, Object> udpPeer = byBoundPort(records, 23001);
        assertThat(udpPeer.get("port")).isEqualTo(23001L);
        assertThat(udpPeer.get("protocol")).isEqualTo("udp");
        assertThat(udpPeer.get("address")).isEqualTo("127.0.0.1");
        Map<String, Object> tcpPeer = byBoundPort(records, 23002);
        assertThat(tcpPeer.get("port")).isEqualTo(23002L);
        assertThat(tcpPeer.get("protocol")).isEqualTo("tcp");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    @EnabledOnOs(OS.LINUX)
    void withAPolicyThePolicyWorksAndDiscoverySeesTheFinalPorts(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", Policies.enforceEveryWildcard("fail", Policies.TCP_BLOCK,
                Policies.UDP_BLOCK));
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all")
                .agent("policy=" + policy + ",backend=linux").env("PORTRES_DISCOVER", "discovery.jsonl")
                .workDir(dir.toFile()).main(APP, "all").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(19);
        List<Map<String, Object>> records = read(dir.resolve("discovery.jsonl"));
        assertThat(records).hasSize(21);
        for (Map.Entry<String, Integer> api : AppOutput.ports(r.stdout).entrySet()) {
            if (api.getKey().startsWith("implicit-")) {
                continue;
            }
            int lo = udp(api.getKey()) ? 25000 : 24000;
            assertThat(api.getValue()).as(api.getKey()).isBetween(lo, lo + 99); // the policy still works
            assertThat(byBoundPort(records, api.getValue())).as(api.getKey() + ": discovery records the port the"
                    + " backend chose").isNotNull();
        }
    }

    @Test
    void aBindThePolicyRefusesIsRecordedWithWhy(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\nonError: fail\nlog: { level: off }\n"
                + "reservations:\n  block: " + Policies.TCP_BLOCK + "\nrules:\n  - name: tcp\n"
                + "    match: { port: 0, protocol: tcp }\n    reservation: block\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current())
                .agent("policy=" + policy + ",backend=reject,discover=d.jsonl").workDir(dir.toFile())
                .main(APP, "server-socket", "datagram-socket", "server-socket").run();
        assertThat(r.stdout).as(r.toString()).contains("server-socket FAILED java.net.BindException: portres: rule"
                + " 'tcp'");
        List<Map<String, Object>> records = read(dir.resolve("d.jsonl"));
        // the peers, two refused binds (the first written at the thread's next bind, the second at exit), one UDP bind
        assertThat(records).as(records.toString()).hasSize(5);
        int refused = 0;
        for (Map<String, Object> rec : records) {
            if (rec.get("error") != null) {
                refused++;
                assertThat(rec.get("error")).isEqualTo("the bind did not reach the native bind (refused by the"
                        + " policy, or failed before it)");
                assertThat(rec.get("boundPort")).isNull();
                assertThat(rec.get("protocol")).isEqualTo("tcp");
            }
        }
        assertThat(refused).isEqualTo(2);
        assertThat(byBoundPort(records, AppOutput.ports(r.stdout).get("datagram-socket"))).isNotNull();
    }

    @Test
    void theSystemPropertyTurnsItOnToo(@TempDir Path dir) throws Exception {
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Dportres.discover=d.jsonl").agent(null)
                .workDir(dir.toFile()).main(APP, "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        assertThat(read(dir.resolve("d.jsonl"))).hasSize(3);
    }

    @Test
    void aRuleThatMatchedNothingIsReportedAtExitWithTheGlobThatWouldHaveMatched(@TempDir Path dir)
            throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", oneSegmentPolicy("{ level: warn, file: portres.log }",
                "elsewhere", "{ port: 0, class: \"com.example.**\" }"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(APP, "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).as(log).contains("[portres] WARN rule 'one-segment' (line 7) matched no bind; class 'io.portres.it.*'"
                + " matched no frame, but 'io.portres.it.**' would have matched " + APP);
        // no hint for it, so an info line, below this policy's level
        assertThat(log).doesNotContain("'elsewhere'");

        Path info = Policies.write(dir, "info.yaml", new String(Files.readAllBytes(policy), StandardCharsets.UTF_8)
                .replace("level: warn", "level: info"));
        r = ForkedJvm.on(JdkMatrix.current()).agent(info.toString()).workDir(dir.toFile())
                .main(APP, "server-socket").run();
        log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).as(log).contains("[portres] rule 'elsewhere' (line 10) matched no bind\n");
    }

    @Test
    void theMBeanListsTheRulesThatMatchedNothingWithTheHint(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", oneSegmentPolicy("{ level: warn }", "fixed",
                "{ port: 24000 }"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString()).workDir(dir.toFile())
                .main(io.portres.it.apps.MBeanProbe.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).as(r.toString()).contains("unmatched [rule 'one-segment' (line 7) matched no bind; class"
                + " 'io.portres.it.*' matched no frame, but 'io.portres.it.**' would have matched"
                + " io.portres.it.apps.MBeanProbe (seen binding a socket no rule matched); '*' is one package segment,"
                + " '**' any number, rule 'fixed' (line 10) matched no bind]");
    }

    /** A rule with a one-segment glob that misses the test apps (line 7), then {@code second} (line 10). */
    static String oneSegmentPolicy(String log, String second, String secondMatch) {
        return "version: 1\n"
                + "mode: audit\n"
                + "log: " + log + "\n"
                + "reservations:\n"
                + "  block: " + Policies.TCP_BLOCK + "\n"
                + "rules:\n"
                + "  - name: one-segment\n"
                + "    match: { port: 0, class: \"io.portres.it.*\" }\n"
                + "    reservation: block\n"
                + "  - name: " + second + "\n"
                + "    match: " + secondMatch + "\n"
                + "    reservation: block\n";
    }

    static Map<String, Object> byBoundPort(List<Map<String, Object>> records, int port) {
        for (Map<String, Object> rec : records) {
            Object b = rec.get("boundPort");
            if (b instanceof Number && ((Number) b).intValue() == port) {
                return rec;
            }
        }
        return null;
    }
}
