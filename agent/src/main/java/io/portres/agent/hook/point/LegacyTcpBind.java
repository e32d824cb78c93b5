package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Protocol;
import net.bytebuddy.jar.asm.Opcodes;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * B: the legacy java.net TCP implementation, {@code java.net.AbstractPlainSocketImpl.bind(InetAddress, int)} (JDK 8
 * and 11; 13-17 with {@code -Djdk.net.usePlainSocketImpl}). Its call of {@code this.socketBind(InetAddress, int)}
 * becomes {@code PortresBridge.legacyTcpBind(impl, address, port)}.
 */
final class LegacyTcpBind extends NativeCallHook {
    private final Admission admitted = new Admission(Sites.LEGACY_TCP_BIND, Protocol.TCP, false);

    LegacyTcpBind() {
        super(Sites.LEGACY_TCP_BIND, "B", "java/net/AbstractPlainSocketImpl", "bind", "(Ljava/net/InetAddress;I)V",
                Opcodes.INVOKEVIRTUAL, "socketBind", "(Ljava/net/InetAddress;I)V",
                "legacyTcpBind", "(Ljava/lang/Object;Ljava/net/InetAddress;I)V");
    }

    @Override
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        return matcher.mayMatch(Protocol.TCP, address, port) ? admitted : null;
    }
}
