package io.portres.it;

import io.portres.it.apps.BindEveryApi;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every socket API of the JDK, bound under the packaged agent with {@code -Xverify:all}, on every JDK of the
 * matrix (and on JDK 17 with the legacy socket implementations): each wildcard bind yields exactly the event the
 * policy asks for, with the port the application actually got.
 */
class EveryApiIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void everyApiIsSeen(Jdk jdk, @TempDir Path dir) throws Exception {
        runAndCheck(jdk, dir);
    }

    @ParameterizedTest(name = "{0} with -Djdk.net.usePlainSocketImpl and -Djdk.net.usePlainDatagramSocketImpl")
    @MethodSource("jdks")
    void legacyImplementationsOnJdk17(Jdk jdk, @TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(jdk.feature >= 13 && jdk.feature <= 17,
                "the legacy implementations are selectable on JDK 13-17 only");
        runAndCheck(jdk, dir, "-Djdk.net.usePlainSocketImpl=true", "-Djdk.net.usePlainDatagramSocketImpl=true");
    }

    /**
     * The early-access JDK (28) as a smoke test: the same check as {@link #everyApiIsSeen}, but a failure is
     * reported (a banner on stderr, and this test aborted with the failure as its reason in the test report)
     * instead of failing the build. A missing early-access JDK is reported the same way.
     */
    @Test
    void earlyAccessSmokeTest(@TempDir Path dir) {
        List<Jdk> early = JdkMatrix.earlyAccess();
        if (early.isEmpty()) {
            String why = "EARLY-ACCESS SMOKE TEST NOT RUN: no JDK " + JdkMatrix.EARLY_ACCESS
                    + " (scripts/jdks.sh could not provide it; see .cache/jdks/jdks-report.txt)";
            System.err.println(banner(why));
            Assumptions.abort(why);
        }
        List<String> failed = new ArrayList<String>();
        for (Jdk jdk : early) {
            try {
                runAndCheck(jdk, dir.resolve("jdk" + jdk.feature));
                System.err.println("==== early-access smoke test passed on " + jdk + " ====");
            } catch (Throwable t) { // an assertion or a broken JDK: reported, never failing the build
                failed.add(jdk + ": " + t);
            }
        }
        if (!failed.isEmpty()) {
            String why = "EARLY-ACCESS SMOKE TEST FAILED (not failing the build): " + failed;
            System.err.println(banner(why));
            Assumptions.abort(why);
        }
    }

    private static String banner(String text) {
        String bar = "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!";
        return bar + "\n!!! " + text + "\n" + bar;
    }

    private void runAndCheck(Jdk jdk, Path dir, String... extraJvmArgs) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        Path policy = Policies.write(dir, "policy.yaml", Policies.auditEveryWildcard(""));
        ForkedJvm.Result r = ForkedJvm.on(jdk)
                .jvmArgs("-Xverify:all")
                .jvmArgs(extraJvmArgs)
                .agent(policy.toString())
                .workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "all")
                .run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(0);
        assertThat(r.stderr).as(r.toString()).isEmpty();

        Map<String, Integer> portOf = new HashMap<String, Integer>();
        for (String line : r.stdout.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) {
                portOf.put(f[0], Integer.parseInt(f[1]));
            }
        }
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        List<String> missing = new ArrayList<String>();
        for (Map.Entry<String, Integer> api : portOf.entrySet()) {
            String name = api.getKey();
            if (name.startsWith("implicit-")) {
                continue;
            }
            boolean udp = name.startsWith("datagram") || name.startsWith("multicast");
            Map<String, Object> e = find(events, udp ? "udp" : "tcp", api.getValue());
            if (e == null) {
                missing.add(name + " (port " + api.getValue() + ")");
                continue;
            }
            assertThat(e.get("protocol")).as(name).isEqualTo(udp ? "udp" : "tcp");
            assertThat(e.get("rule")).as(name).isEqualTo(udp ? "udp-wildcard" : "tcp-wildcard");
            assertThat(e.get("reservation")).as(name).isEqualTo(udp ? "udp-block" : "tcp-block");
            assertThat(e.get("outcome")).as(name).isEqualTo("audited");
            assertThat(e.get("port")).as(name).isEqualTo(0L);
            assertThat(e.get("backend")).as(name).isEqualTo("audit");
            assertThat(e.get("error")).as(name).isNull();
            assertThat(e.get("token")).as(name).isNull();
            assertThat((String) e.get("caller")).as(name).startsWith("io.portres.it.apps.BindEveryApi");
            assertThat(e.keySet()).containsExactly("time", "pid", "thread", "protocol", "address", "port",
                    "boundPort", "rule", "reservation", "token", "backend", "caller", "outcome", "error", "matched");
        }
        assertThat(missing).as("APIs whose bind produced no event on " + jdk + "\n" + r + "\nevents: " + events)
                .isEmpty();
        assertThat(portOf).as(r.toString()).hasSize(BindEveryApiApis.COUNT);
        long implicit = 0;
        for (Map<String, Object> e : events) {
            if (e.get("address") == null) {
                implicit++;
                assertThat(e.get("rule")).isEqualTo("tcp-wildcard");
                assertThat(e.get("boundPort")).isNull();
            }
        }
        assertThat(implicit).as("implicit TCP binds (Socket.connect, SocketChannel.open(remote))\n" + events)
                .isEqualTo(2);
        // the peers on fixed ports 23001/23002 are not wildcard binds and must not be matched (checked by the
        // requested port)
        for (Map<String, Object> e : events) {
            assertThat(e.get("port")).as(e.toString()).isIn(0L);
        }
    }

    /** The event of a bind: a TCP and a UDP socket can get the same port number, so the protocol counts too. */
    private static Map<String, Object> find(List<Map<String, Object>> events, String protocol, int boundPort) {
        for (Map<String, Object> e : events) {
            Object p = e.get("boundPort");
            if (p != null && ((Long) p).intValue() == boundPort && protocol.equals(e.get("protocol"))) {
                return e;
            }
        }
        return null;
    }

    /** The number of APIs {@link BindEveryApi} knows. */
    static final class BindEveryApiApis {
        static final int COUNT = 19;
    }
}
