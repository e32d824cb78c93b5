package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;
import org.junit.jupiter.api.Test;

import java.io.FileDescriptor;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each hook point's own dispatch: the dispatcher asks the point a bind arrived from ({@link HookPoint#atSite}) whether
 * any rule can match it, and learns from the point its protocol, whether it is implicit and the site it is recorded
 * under. Unit-level: the forked-JVM tests ({@code EveryApiIT}) prove the same through the JDK on every version.
 */
class HookPointDispatchTest {

    private static PolicyMatcher matcher(String rules) throws Exception {
        return new PolicyMatcher(PolicyLoader.parse("version: 1\n"
                + "reservations:\n"
                + "  web: { protocol: tcp, startPort: 8000, count: 100 }\n"
                + "  dns: { protocol: udp, startPort: 5300, count: 10 }\n"
                + "rules:\n" + rules, "test.yaml", null));
    }

    private static final InetAddress ANY = anyLocal();

    private static InetAddress anyLocal() {
        try {
            return InetAddress.getByName("0.0.0.0");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everySiteThatReachesTheDispatcherHasExactlyOnePointAndTheOthersAdmitNothing() throws Exception {
        assertThat(HookPoint.atSite(Sites.NET_BIND)).isSameAs(HookPoint.NET_BIND.hook());
        assertThat(HookPoint.atSite(Sites.LEGACY_TCP_BIND)).isSameAs(HookPoint.LEGACY_TCP_BIND.hook());
        assertThat(HookPoint.atSite(Sites.LEGACY_UDP_BIND)).isSameAs(HookPoint.LEGACY_UDP_BIND.hook());
        assertThat(HookPoint.atSite(Sites.IMPLICIT_TCP)).isSameAs(HookPoint.TCP_CONNECT.hook());
        assertThat(HookPoint.atSite(Sites.IMPLICIT_TCP_ON_CONNECT)).isSameAs(HookPoint.NET_CONNECT.hook());
        assertThat(HookPoint.atSite(-1)).isNull();
        assertThat(HookPoint.atSite(99)).isNull();
        PolicyMatcher all = matcher("  - { name: any, match: { port: 0 }, reservation: web, implicit: true }\n"
                + "  - { name: udp, match: { port: 0 }, reservation: dns }\n");
        for (HookPoint p : EnumSet.of(HookPoint.UDP_SEND, HookPoint.UDP_CONNECT, HookPoint.SERVER_CHANNEL_BIND,
                HookPoint.SOCKET_CHANNEL_BIND, HookPoint.DATAGRAM_CHANNEL_BIND,
                HookPoint.DATAGRAM_CHANNEL_BIND_INTERNAL)) {
            assertThat(p.hook().admit(all, null, ANY, 0)).as(p + ": its binds come through A").isNull();
        }
    }

    @Test
    void explicitPointsAdmitOnlyPortsARuleCanMatchAndKnowTheirProtocol() throws Exception {
        PolicyMatcher m = matcher("  - { name: web, match: { port: 8080 }, reservation: web }\n"
                + "  - { name: dns, match: { port: 5353 }, reservation: dns }\n");
        BindHook a = HookPoint.NET_BIND.hook();
        assertThat(a.admit(m, null, ANY, 8081)).isNull();
        Admission atA = a.admit(m, null, ANY, 8080);
        assertThat(atA.site()).isEqualTo(Sites.NET_BIND);
        assertThat(atA.protocol()).as("TCP or UDP: the socket tells, later").isNull();
        assertThat(atA.implicit()).isFalse();
        assertThat(a.admit(m, null, ANY, 5353)).as("either protocol's rules").isNotNull();

        BindHook b = HookPoint.LEGACY_TCP_BIND.hook();
        assertThat(b.admit(m, null, ANY, 5353)).as("a UDP rule's port, at the TCP point").isNull();
        assertThat(b.admit(m, null, ANY, 8080).protocol()).isEqualTo(Protocol.TCP);
        assertThat(b.admit(m, null, ANY, 8080).site()).isEqualTo(Sites.LEGACY_TCP_BIND);

        BindHook c = HookPoint.LEGACY_UDP_BIND.hook();
        assertThat(c.admit(m, null, ANY, 8080)).as("a TCP rule's port, at the UDP point").isNull();
        assertThat(c.admit(m, null, ANY, 5353).protocol()).isEqualTo(Protocol.UDP);
        assertThat(c.admit(m, null, ANY, 5353).site()).isEqualTo(Sites.LEGACY_UDP_BIND);
    }

    @Test
    void implicitPointsAdmitOnlyUnderAnImplicitRuleAndTheConnectHookOnlyAnUnboundTcpSocket() throws Exception {
        PolicyMatcher explicitOnly = matcher("  - { name: web, match: { port: 0 }, reservation: web }\n");
        PolicyMatcher implicit = matcher(
                "  - { name: clients, match: { port: 0 }, reservation: web, implicit: true }\n");
        BindHook d = HookPoint.TCP_CONNECT.hook();
        assertThat(d.admit(explicitOnly, null, ANY, 0)).isNull();
        Admission atD = d.admit(implicit, null, ANY, 0);
        assertThat(atD.implicit()).isTrue();
        assertThat(atD.protocol()).isEqualTo(Protocol.TCP);
        assertThat(atD.site()).isEqualTo(Sites.IMPLICIT_TCP);

        BindHook connect = HookPoint.NET_CONNECT.hook();
        try (SocketChannel unbound = SocketChannel.open();
             SocketChannel bound = SocketChannel.open();
             DatagramChannel udp = DatagramChannel.open()) {
            bound.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            assertThat(connect.admit(explicitOnly, fd(unbound), ANY, 0)).isNull();
            Admission atConnect = connect.admit(implicit, fd(unbound), ANY, 0);
            assertThat(atConnect.site()).as("recorded as D, whichever hook saw it").isEqualTo(Sites.IMPLICIT_TCP);
            assertThat(atConnect.implicit()).isTrue();
            assertThat(connect.admit(implicit, fd(bound), ANY, 0)).as("already bound: no implicit bind").isNull();
            assertThat(connect.admit(implicit, fd(udp), ANY, 0)).as("UDP connects bind otherwise").isNull();
        }
    }

    @Test
    void eachPointNamesItsMethodAndItsEdit() {
        assertThat(HookPoint.NET_BIND.describe()).isEqualTo("A sun.nio.ch.Net.bind");
        assertThat(HookPoint.NET_BIND.nativeCall()).isEqualTo(
                "sun/nio/ch/Net.bind0(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V");
        assertThat(HookPoint.NET_CONNECT.letter()).isEqualTo("D'");
        assertThat(HookPoint.NET_CONNECT.nativeCall()).as("an entry call replaces nothing").isNull();
        assertThat(HookPoint.UDP_SEND.bridgeCall())
                .isEqualTo("beforeImplicitUdpBind(Ljava/lang/Object;Ljava/nio/channels/DatagramChannel;)V");
        for (HookPoint p : HookPoint.values()) {
            assertThat(p.letter()).as(p.name()).isIn("A", "B", "C", "D", "D'", "E", "F");
        }
    }

    private static FileDescriptor fd(Object channel) throws Exception {
        Method getFD = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD");
        getFD.setAccessible(true);
        return (FileDescriptor) getFD.invoke(channel);
    }
}
