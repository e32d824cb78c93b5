package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Protocol;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * D: the implicit bind of an unbound TCP socket that connects, JDK 8-25. The JDK calls
 * {@code sun.net.NetHooks.beforeTcpConnect(FileDescriptor fd, InetAddress remote, int remotePort)} exactly then; at
 * its entry: {@code PortresBridge.implicitTcpBind(fd, remote)}.
 */
final class NetHooksConnect extends EntryCallHook {
    private final Admission admitted = new Admission(Sites.IMPLICIT_TCP, Protocol.TCP, true);

    NetHooksConnect() {
        super(Sites.IMPLICIT_TCP, "D", "sun/net/NetHooks", "beforeTcpConnect",
                "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V", 0,
                "implicitTcpBind", "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V", 0, 1);
    }

    @Override
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        return matcher.hasImplicitRules() ? admitted : null;
    }
}
