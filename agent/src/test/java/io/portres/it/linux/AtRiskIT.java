package io.portres.it.linux;

import io.portres.it.apps.ExitAtOnce;
import io.portres.it.apps.Trivial;
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

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent warns about an unreserved block only when other processes' ephemeral ports can land in it (it overlaps
 * {@code ip_local_port_range}), as {@code validate} and {@code doctor} do: a one-port reservation below the range
 * starts silently.
 */
@EnabledOnOs(OS.LINUX)
class AtRiskIT {

    /**
     * The rule takes the application's wildcard bind, so that the bind waits until the backend has started (and
     * logged its warnings): the application cannot exit before.
     */
    static String policy(int start, int count) {
        return "version: 1\nlog: { level: warn }\nreservations:\n  web: { protocol: tcp, startPort: " + start
                + ", count: " + count + " }\nrules:\n  - name: web\n    match: { port: 0 }\n"
                + "    reservation: web\n";
    }

    @Test
    void aBlockBelowTheEphemeralRangeStartsWithoutAWarning(@TempDir Path dir) throws Exception {
        Path quiet = Policies.write(dir, "quiet.yaml", policy(23010, 1));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent("policy=" + quiet + ",backend=linux")
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
    }

    @Test
    void aBlockInsideItStillWarnsWithTheLineThatReservesEveryBlock(@TempDir Path dir) throws Exception {
        Path risky = Policies.write(dir, "risky.yaml", policy(50000, 10).replace("reservations:\n",
                "reservations:\n  other: { protocol: udp, startPort: 50100, count: 10 }\n"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent("policy=" + risky + ",backend=linux")
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).contains("[portres] WARN reservation 'web' (tcp 50000-50009) is not in"
                + " net.ipv4.ip_local_reserved_ports, and it overlaps the ephemeral range").contains("sysctl -w"
                + " net.ipv4.ip_local_reserved_ports=50000-50009,50100-50109 (or set create: true and run as root)");
    }

    /**
     * The backend logs its start-up warnings on the agent's start-up thread, after premain has returned: a JVM whose
     * main exits at once (no bind to wait for the backend) must still print them. Several runs: without the
     * shutdown hook's wait, the JVM usually exits before the backend has started.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.portres.it.support.JdkMatrix#jdks")
    void aJvmThatExitsAtOnceStillPrintsTheBackendsStartUpWarnings(Jdk jdk, @TempDir Path dir) throws Exception {
        Path risky = Policies.write(dir, "risky.yaml", policy(50000, 10));
        for (int run = 1; run <= 3; run++) {
            ForkedJvm.Result r = ForkedJvm.on(jdk).agent("policy=" + risky + ",backend=linux")
                    .main(ExitAtOnce.class.getName()).run();
            assertThat(r.exitCode).as(r.toString()).isZero();
            assertThat(r.stderr).as("run %d: %s", run, r).contains("[portres] WARN reservation 'web' (tcp"
                    + " 50000-50009) is not in net.ipv4.ip_local_reserved_ports");
        }
    }
}
