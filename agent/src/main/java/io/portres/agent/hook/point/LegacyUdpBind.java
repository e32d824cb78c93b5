package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Protocol;
import net.bytebuddy.jar.asm.Opcodes;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * C: the legacy java.net UDP implementation, {@code java.net.AbstractPlainDatagramSocketImpl.bind(int, InetAddress)}
 * (JDK 8 and 11; 15-17 with {@code -Djdk.net.usePlainDatagramSocketImpl}). Its call of
 * {@code this.bind0(int, InetAddress)} becomes {@code PortresBridge.legacyUdpBind(impl, port, address)}.
 */
final class LegacyUdpBind extends NativeCallHook {
    private final Admission admitted = new Admission(Sites.LEGACY_UDP_BIND, Protocol.UDP, false);

    LegacyUdpBind() {
        super(Sites.LEGACY_UDP_BIND, "C", "java/net/AbstractPlainDatagramSocketImpl", "bind",
                "(ILjava/net/InetAddress;)V", Opcodes.INVOKEVIRTUAL, "bind0", "(ILjava/net/InetAddress;)V",
                "legacyUdpBind", "(Ljava/lang/Object;ILjava/net/InetAddress;)V");
    }

    @Override
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        return matcher.mayMatch(Protocol.UDP, address, port) ? admitted : null;
    }
}
