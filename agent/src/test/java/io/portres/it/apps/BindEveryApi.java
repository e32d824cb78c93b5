package io.portres.it.apps;

import java.io.Closeable;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A test application (Java 8 bytecode) that binds one socket per named API and prints
 * {@code <api> <local port>} for each, keeping all sockets open until the end so that ports are distinct.
 * Usage: {@code BindEveryApi all} or {@code BindEveryApi <api> [<api>...]}.
 */
public final class BindEveryApi {

    static final String[] ALL = {
        "server-socket", "server-socket-bind", "socket-bind", "datagram-socket", "multicast-socket",
        "datagram-socket-send", "server-socket-channel", "socket-channel-bind", "datagram-channel",
        "datagram-channel-send", "datagram-channel-connect", "datagram-channel-receive",
        "async-server-socket-channel", "async-socket-channel-bind", "server-socket-adaptor", "socket-adaptor",
        "datagram-adaptor", "implicit-socket-connect", "implicit-channel-connect",
    };

    private static final List<Closeable> OPEN = new ArrayList<Closeable>();
    private static InetSocketAddress udpSink;
    private static InetSocketAddress tcpServer;

    public static void main(String[] args) throws Exception {
        String[] apis = args.length == 1 && args[0].equals("all") ? ALL : args;
        // Peers for the implicit binds: a UDP sink and a TCP listener on fixed ports outside the test policies, below
        // the ephemeral range so that no other socket holds them.
        DatagramSocket sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                Integer.getInteger("sinkPort", 23001)));
        OPEN.add(sink);
        udpSink = (InetSocketAddress) sink.getLocalSocketAddress();
        ServerSocket server = new ServerSocket(Integer.getInteger("serverPort", 23002), 50,
                InetAddress.getLoopbackAddress());
        OPEN.add(server);
        tcpServer = (InetSocketAddress) server.getLocalSocketAddress();
        int failures = 0;
        for (String api : apis) {
            try {
                System.out.println(api + " " + bind(api));
            } catch (Exception e) {
                failures++;
                System.out.println(api + " FAILED " + e);
            }
        }
        for (Closeable c : OPEN) {
            c.close();
        }
        System.exit(failures == 0 ? 0 : 3);
    }

    private static SocketAddress any() {
        return new InetSocketAddress(0);
    }

    private static <T extends Closeable> T keep(T c) {
        OPEN.add(c);
        return c;
    }

    static int bind(String api) throws Exception {
        ByteBuffer one = ByteBuffer.wrap(new byte[] {1});
        if (api.equals("server-socket")) {
            return keep(new ServerSocket(0)).getLocalPort();
        } else if (api.equals("server-socket-bind")) {
            ServerSocket s = keep(new ServerSocket());
            s.bind(any());
            return s.getLocalPort();
        } else if (api.equals("socket-bind")) {
            Socket s = keep(new Socket());
            s.bind(any());
            return s.getLocalPort();
        } else if (api.equals("datagram-socket")) {
            return keep(new DatagramSocket(0)).getLocalPort();
        } else if (api.equals("multicast-socket")) {
            return keep(new MulticastSocket(0)).getLocalPort();
        } else if (api.equals("datagram-socket-send")) {
            DatagramSocket s = keep(new DatagramSocket((SocketAddress) null)); // unbound: send() binds it
            s.send(new DatagramPacket(new byte[] {1}, 1, udpSink));
            return s.getLocalPort();
        } else if (api.equals("server-socket-channel")) {
            ServerSocketChannel c = keep(ServerSocketChannel.open());
            c.bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("socket-channel-bind")) {
            SocketChannel c = keep(SocketChannel.open());
            c.bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("datagram-channel")) {
            DatagramChannel c = keep(DatagramChannel.open());
            c.bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("datagram-channel-send")) {
            DatagramChannel c = keep(DatagramChannel.open());
            c.send(one, udpSink);
            return c.socket().getLocalPort();
        } else if (api.equals("datagram-channel-connect")) {
            DatagramChannel c = keep(DatagramChannel.open());
            c.connect(udpSink);
            return c.socket().getLocalPort();
        } else if (api.equals("datagram-channel-receive")) {
            DatagramChannel c = keep(DatagramChannel.open());
            c.configureBlocking(false);
            c.receive(ByteBuffer.allocate(16));
            return c.socket().getLocalPort();
        } else if (api.equals("async-server-socket-channel")) {
            AsynchronousServerSocketChannel c = keep(AsynchronousServerSocketChannel.open());
            c.bind(any());
            return ((InetSocketAddress) c.getLocalAddress()).getPort();
        } else if (api.equals("async-socket-channel-bind")) {
            AsynchronousSocketChannel c = keep(AsynchronousSocketChannel.open());
            c.bind(any());
            return ((InetSocketAddress) c.getLocalAddress()).getPort();
        } else if (api.equals("server-socket-adaptor")) {
            ServerSocketChannel c = keep(ServerSocketChannel.open());
            c.socket().bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("socket-adaptor")) {
            SocketChannel c = keep(SocketChannel.open());
            c.socket().bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("datagram-adaptor")) {
            DatagramChannel c = keep(DatagramChannel.open());
            c.socket().bind(any());
            return c.socket().getLocalPort();
        } else if (api.equals("implicit-socket-connect")) {
            Socket s = keep(new Socket());
            s.connect(tcpServer);
            return s.getLocalPort();
        } else if (api.equals("implicit-channel-connect")) {
            SocketChannel c = keep(SocketChannel.open(tcpServer));
            return c.socket().getLocalPort();
        } else if (api.equals("implicit-inet-channel-connect")) {
            // JDK 15+: an IPv4-only channel (AF_INET socket); reflection keeps this class Java 8
            SocketChannel c = keep((SocketChannel) SocketChannel.class.getMethod("open",
                    java.net.ProtocolFamily.class).invoke(null, java.net.StandardProtocolFamily.INET));
            c.connect(tcpServer);
            return c.socket().getLocalPort();
        }
        throw new IllegalArgumentException("unknown api " + api);
    }
}
