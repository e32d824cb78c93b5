package io.portres.agent.hook.point;

/**
 * F: the entry of the channels' bind methods, whose native bind is A: {@code PortresBridge.channelBind(this, local)}
 * remembers the channel (weakly, per thread, candidate ports only). Nothing else: only when a full block on Windows
 * must be answered by a fresh socket under {@code onError: continue} does the bridge need the channel, to point its
 * copy of the socket handle ({@code fdVal}) at the new socket. No bind reaches the dispatcher from here.
 */
final class ChannelBind extends EntryCallHook {

    private ChannelBind(String owner, String method, String descriptor) {
        super(Sites.CHANNEL_BIND, "F", owner, method, descriptor, 0,
                "channelBind", "(Ljava/lang/Object;Ljava/net/SocketAddress;)V", 0, 1);
    }

    static ChannelBind serverSocketChannel() {
        return new ChannelBind("sun/nio/ch/ServerSocketChannelImpl", "bind",
                "(Ljava/net/SocketAddress;I)Ljava/nio/channels/ServerSocketChannel;");
    }

    /** {@code SocketChannelImpl.bind} (and its socket adaptor's). */
    static ChannelBind socketChannel() {
        return new ChannelBind("sun/nio/ch/SocketChannelImpl", "bind",
                "(Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;");
    }

    /** {@code DatagramChannelImpl.bind} (and DatagramSocketAdaptor's, behind DatagramSocket on 15+). */
    static ChannelBind datagramChannel() {
        return new ChannelBind("sun/nio/ch/DatagramChannelImpl", "bind",
                "(Ljava/net/SocketAddress;)Ljava/nio/channels/DatagramChannel;");
    }

    /** JDK 11+ {@code DatagramChannelImpl.bindInternal}, also the implicit binds of send, receive, connect. */
    static ChannelBind datagramChannelInternal() {
        return new ChannelBind("sun/nio/ch/DatagramChannelImpl", "bindInternal", "(Ljava/net/SocketAddress;)V");
    }
}
