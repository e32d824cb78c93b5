package io.portres.agent.hook.point;

/**
 * E: the implicit bind of an unbound {@code DatagramChannel} on JDK 8 ({@code send}) and 8-11 ({@code connect}),
 * which binds inside the native {@code sendto}/{@code connect} where nothing can be hooked. At the method's entry:
 * {@code PortresBridge.beforeImplicitUdpBind(this.localAddress, this)}, which binds the channel explicitly first
 * when a UDP rule can match an implicit bind; that bind then comes through A. Later JDKs bind explicitly themselves,
 * and the point does not apply to their class.
 */
final class DatagramImplicitBind extends EntryCallHook {
    /** A method whose presence says the class binds explicitly before this method's native call. */
    private final String explicitBindMark;

    private DatagramImplicitBind(String method, String descriptor, String explicitBindMark) {
        super(Sites.IMPLICIT_UDP, "E", "sun/nio/ch/DatagramChannelImpl", method, descriptor, 0,
                "beforeImplicitUdpBind", "(Ljava/lang/Object;Ljava/nio/channels/DatagramChannel;)V",
                THIS_LOCAL_ADDRESS, 0);
        this.explicitBindMark = explicitBindMark;
    }

    /** JDK 11+ send() binds explicitly through beginWrite -> bindInternal -> Net.bind. */
    static DatagramImplicitBind send() {
        return new DatagramImplicitBind("send", "(Ljava/nio/ByteBuffer;Ljava/net/SocketAddress;)I", "beginWrite(");
    }

    /** JDK 17+ connect(SocketAddress) delegates to connect(SocketAddress, boolean), which binds. */
    static DatagramImplicitBind connect() {
        return new DatagramImplicitBind("connect", "(Ljava/net/SocketAddress;)Ljava/nio/channels/DatagramChannel;",
                "connect(Ljava/net/SocketAddress;Z)");
    }

    @Override
    public boolean appliesTo(ClassShape cls) {
        return super.appliesTo(cls) && !cls.hasMethodStartingWith(explicitBindMark)
                && cls.fieldDescriptor("localAddress") != null;
    }
}
