package io.portres.agent;

import io.portres.agent.hook.point.HookPoint;
import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** What premain publishes to the bridge, which decides alone whether a bind can match at all. */
class CandidatePortsTest {

    private static final String RESERVATIONS = "version: 1\n"
            + "reservations:\n"
            + "  t: { protocol: tcp, startPort: 40000, count: 100 }\n"
            + "  u: { protocol: udp, startPort: 41000, count: 10 }\n"
            + "rules:\n";

    private static long[] bits(String rules) throws Exception {
        Policy p = PolicyLoader.parse(RESERVATIONS + rules, "test.yaml", null);
        return Installer.candidatePorts(p);
    }

    private static boolean has(long[] bits, int bit) {
        return (bits[bit >>> 6] & (1L << bit)) != 0;
    }

    @Test
    void onlyThePortsSomeRuleAdmitsAreCandidates() throws Exception {
        long[] b = bits("  - { name: a, match: { port: 8080 }, reservation: t }\n"
                + "  - { name: b, match: { port: [0, \"9000-9002\"] }, reservation: t }\n");
        assertThat(has(b, 8080)).isTrue();
        assertThat(has(b, 0)).isTrue();
        assertThat(has(b, 9000)).isTrue();
        assertThat(has(b, 9002)).isTrue();
        assertThat(has(b, 9003)).isFalse();
        assertThat(has(b, 8081)).isFalse();
        assertThat(has(b, 65535)).isFalse();
        assertThat(has(b, 65536)).as("no implicit rule").isFalse();
        assertThat(has(b, 65537)).as("no UDP rule").isFalse();
    }

    @Test
    void aRuleByClassAloneMakesEveryPortACandidate() throws Exception {
        long[] b = bits("  - { name: a, match: { class: \"org.example.**\" }, reservation: t }\n");
        assertThat(has(b, 0)).isTrue();
        assertThat(has(b, 12345)).isTrue();
        assertThat(has(b, 65535)).isTrue();
        assertThat(has(b, 65536)).isFalse();
    }

    @Test
    void implicitAndUdpRulesSetTheirBits() throws Exception {
        long[] b = bits("  - { name: a, match: { port: 0 }, reservation: t, implicit: true }\n"
                + "  - { name: b, match: { port: 0 }, reservation: u }\n");
        assertThat(has(b, 65536)).isTrue();
        assertThat(has(b, 65537)).isTrue();
        long[] fixedUdpOnly = bits("  - { name: b, match: { port: 41000 }, reservation: u }\n");
        assertThat(has(fixedUdpOnly, 65537)).as("a UDP rule that cannot match port 0 needs no auto-bind").isFalse();
    }

    @Test
    void theWarmUpLoadsOnlyTheLegacyImplementationsThisJdkSelects() {
        Properties none = new Properties();
        assertThat(HookPoint.classesInUse(8, none, true)).contains("java.net.AbstractPlainSocketImpl",
                "java.net.AbstractPlainDatagramSocketImpl", "sun.nio.ch.DatagramChannelImpl");
        assertThat(HookPoint.classesInUse(11, none, false)).doesNotContain("sun.nio.ch.DatagramChannelImpl")
                .contains("java.net.AbstractPlainSocketImpl");
        assertThat(HookPoint.classesInUse(17, none, true)).containsExactly("sun.nio.ch.Net", "sun.net.NetHooks");
        Properties plain = new Properties();
        plain.setProperty("jdk.net.usePlainSocketImpl", "");
        plain.setProperty("jdk.net.usePlainDatagramSocketImpl", "true");
        assertThat(HookPoint.classesInUse(17, plain, false)).contains("java.net.AbstractPlainSocketImpl",
                "java.net.AbstractPlainDatagramSocketImpl");
        assertThat(HookPoint.classesInUse(21, plain, false)).containsExactly("sun.nio.ch.Net", "sun.net.NetHooks");
        assertThat(HookPoint.classesInUse(26, plain, false)).as("NetHooks is gone on 26").containsExactly("sun.nio.ch.Net");
    }
}
