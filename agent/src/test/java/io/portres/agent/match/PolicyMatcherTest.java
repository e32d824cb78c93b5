package io.portres.agent.match;

import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;
import io.portres.policy.Rule;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyMatcherTest {

    static Policy policy(String rules) throws Exception {
        return PolicyLoader.parse("version: 1\n"
                + "reservations:\n"
                + "  web: { protocol: tcp, startPort: 8000, count: 100 }\n"
                + "  rmi: { protocol: tcp, startPort: 50000, count: 100 }\n"
                + "  dns: { protocol: udp, startPort: 5300, count: 10 }\n"
                + "rules:\n" + rules, "test.yaml", null);
    }

    /**
     * Counts how often the matcher consults the stack for a class condition; the frames are "walked" once and kept,
     * as BindAttempt keeps them.
     */
    static final class CountingFrames implements PolicyMatcher.Frames {
        final String[] frames;
        int walks;
        int consults;

        CountingFrames(String... frames) {
            this.frames = frames;
        }

        @Override
        public String[] frames() {
            return frames;
        }

        @Override
        public boolean anyMatches(io.portres.policy.ClassMatcher classes) {
            walks = 1;
            consults++;
            return PolicyMatcher.Frames.super.anyMatches(classes);
        }
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s); // literals only
    }

    @Test
    void firstMatchWinsInPolicyOrder() throws Exception {
        PolicyMatcher m = new PolicyMatcher(policy(""
                + "  - { name: exact, match: { port: 8080 }, reservation: web }\n"
                + "  - { name: range, match: { port: \"8000-8099\" }, reservation: web }\n"
                + "  - { name: list, match: { port: [8080, \"9000-9010\"] }, reservation: web }\n"
                + "  - { name: wildcard, match: { port: 0 }, reservation: rmi }\n"));
        CountingFrames f = new CountingFrames("app.Main");
        InetAddress any = ip("0.0.0.0");
        assertThat(m.match(Protocol.TCP, any, 8080, f).name()).isEqualTo("exact");
        assertThat(m.match(Protocol.TCP, any, 8081, f).name()).isEqualTo("range");
        assertThat(m.match(Protocol.TCP, any, 9005, f).name()).isEqualTo("list");
        assertThat(m.match(Protocol.TCP, any, 0, f).name()).isEqualTo("wildcard");
        assertThat(m.match(Protocol.TCP, any, 9011, f)).isNull();
        assertThat(m.match(Protocol.UDP, any, 8080, f)).as("protocol is part of the match").isNull();
        assertThat(m.mayMatch(Protocol.TCP, any, 7999)).isFalse();
        assertThat(m.mayMatchEither(any, 8099)).isTrue();
        assertThat(f.walks).as("no class condition, no stack walk").isZero();
    }

    @Test
    void addressConditionsFilterCandidates() throws Exception {
        PolicyMatcher m = new PolicyMatcher(policy(""
                + "  - { name: lo, match: { port: 0, address: loopback }, reservation: rmi }\n"
                + "  - { name: net, match: { port: 0, address: 10.1.0.0/16 }, reservation: web }\n"));
        CountingFrames f = new CountingFrames();
        assertThat(m.match(Protocol.TCP, ip("127.0.0.1"), 0, f).name()).isEqualTo("lo");
        assertThat(m.match(Protocol.TCP, ip("::1"), 0, f).name()).isEqualTo("lo");
        assertThat(m.match(Protocol.TCP, ip("10.1.2.3"), 0, f).name()).isEqualTo("net");
        assertThat(m.match(Protocol.TCP, ip("10.2.0.1"), 0, f)).isNull();
        assertThat(m.mayMatch(Protocol.TCP, ip("0.0.0.0"), 0)).isFalse();
    }

    @Test
    void stackIsWalkedOnlyWhenAClassConditionDecidesAndAtMostOnce() throws Exception {
        PolicyMatcher m = new PolicyMatcher(policy(""
                + "  - { name: tomcat, match: { port: 0, class: \"org.apache.catalina.**\" }, reservation: web }\n"
                + "  - { name: rmi, match: { port: 0, class: [\"sun.rmi.**\", \"javax.management.**\"] },"
                + " reservation: rmi }\n"
                + "  - { name: fixed, match: { port: 8080 }, reservation: web }\n"));
        CountingFrames rmi = new CountingFrames("sun.rmi.transport.tcp.TCPEndpoint", "app.Main");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 0, rmi).name()).isEqualTo("rmi");
        assertThat(rmi.walks).isEqualTo(1);
        assertThat(rmi.consults).as("each class-conditioned candidate in order, until one matches").isEqualTo(2);
        CountingFrames deep = new CountingFrames("a.B", "c.D", "org.apache.catalina.startup.Catalina");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 0, deep).name()).as("any frame above the socket code")
                .isEqualTo("tomcat");
        CountingFrames none = new CountingFrames("app.Main");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 0, none)).isNull();
        assertThat(none.walks).isEqualTo(1);
        CountingFrames fixed = new CountingFrames("app.Main");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 8080, fixed).name()).isEqualTo("fixed");
        assertThat(fixed.walks).as("port 8080 has no class-conditioned candidate").isZero();
    }

    @Test
    void classOnlyRulesApplyToEveryPort() throws Exception {
        PolicyMatcher m = new PolicyMatcher(policy(""
                + "  - { name: jmx, match: { class: \"javax.management.**\" }, reservation: rmi }\n"));
        CountingFrames jmx = new CountingFrames("javax.management.remote.rmi.RMIConnectorServer");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 12345, jmx).name()).isEqualTo("jmx");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 0, jmx).name()).isEqualTo("jmx");
        assertThat(m.mayMatch(Protocol.UDP, ip("0.0.0.0"), 0)).isFalse();
    }

    @Test
    void implicitRulesAreSeparate() throws Exception {
        PolicyMatcher m = new PolicyMatcher(policy(""
                + "  - { name: explicit-only, match: { port: 0 }, reservation: rmi }\n"
                + "  - { name: clients, match: { port: 0, class: \"app.**\" }, reservation: rmi, implicit: true }\n"));
        assertThat(m.hasImplicitRules()).isTrue();
        assertThat(m.matchImplicit(new CountingFrames("app.Client"))).extracting(Rule::name).isEqualTo("clients");
        assertThat(m.matchImplicit(new CountingFrames("other.Client"))).isNull();
        PolicyMatcher none = new PolicyMatcher(policy(
                "  - { name: explicit-only, match: { port: 0 }, reservation: rmi }\n"));
        assertThat(none.hasImplicitRules()).isFalse();
    }

    @Test
    void tenThousandRulesStillMatchByTableLookup() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10000; i++) {
            sb.append("  - { name: r").append(i).append(", match: { port: ").append(10000 + i)
                    .append(" }, reservation: web }\n");
        }
        PolicyMatcher m = new PolicyMatcher(policy(sb.toString()));
        CountingFrames f = new CountingFrames();
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 10000, f).name()).isEqualTo("r0");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 19999, f).name()).isEqualTo("r9999");
        assertThat(m.match(Protocol.TCP, ip("0.0.0.0"), 20000, f)).isNull();
        assertThat(m.candidates(Protocol.TCP, 15000)).hasSize(1);
    }
}
