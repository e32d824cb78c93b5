package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import net.bytebuddy.jar.asm.Opcodes;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * A: every NIO bind, {@code sun.nio.ch.Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int)}: the channels,
 * their socket() adaptors, {@code NioSocketImpl} behind Socket/ServerSocket on 13+, {@code DatagramSocketAdaptor}
 * behind DatagramSocket/MulticastSocket on 15+. Its call of
 * {@code static native bind0(FileDescriptor, boolean preferIPv6, boolean exclusive, InetAddress, int)} becomes
 * {@code PortresBridge.netBind0} with the same arguments.
 */
final class NetBind extends NativeCallHook {
    private final Admission admitted = new Admission(Sites.NET_BIND, null, false);

    NetBind() {
        super(Sites.NET_BIND, "A", "sun/nio/ch/Net", "bind",
                "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V",
                Opcodes.INVOKESTATIC, "bind0", "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V",
                "netBind0", "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V");
    }

    /** TCP or UDP: the socket tells, and is asked only for a candidate (a port some rule of either admits). */
    @Override
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        return matcher.mayMatchEither(address, port) ? admitted : null;
    }
}
