package io.portres.agent.hook.point;

import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Protocol;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * D': the implicit TCP bind on JDK 26+, where {@code sun.net.NetHooks} is gone and nothing in the JDK marks an
 * implicit bind: every connect of a TCP or UDP socket reaches
 * {@code static int sun.nio.ch.Net.connect(ProtocolFamily, FileDescriptor fd, InetAddress remote, int port)}. At its
 * entry: {@code PortresBridge.implicitTcpConnect(fd, remote)}. Only class files of JDK 26 (70) and newer: the
 * method exists before, but D serves there.
 */
final class NetConnect extends EntryCallHook {
    /** Recorded as D: an implicit TCP bind, whichever hook saw it. */
    private final Admission admitted = new Admission(Sites.IMPLICIT_TCP, Protocol.TCP, true);

    NetConnect() {
        super(Sites.IMPLICIT_TCP_ON_CONNECT, "D'", "sun/nio/ch/Net", "connect",
                "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I", 70,
                "implicitTcpConnect", "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V", 1, 2);
    }

    /** Any connect arrives here; only an unbound TCP socket binds implicitly. */
    @Override
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        if (!matcher.hasImplicitRules() || JdkAccess.protocolOf(fd) != Protocol.TCP || JdkAccess.localPort(fd) != 0) {
            return null;
        }
        return admitted;
    }
}
