package io.portres.it.windows;

import java.io.Closeable;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Test application (Java 8 bytecode) for WindowsJvmIT's Windows-only scenarios; prints one line per step, exits 3
 * when a step failed.
 * <ul>
 *   <li>{@code two-stacks <port>}: a matched ServerSocket(0) first (it waits for the agent's start-up), then
 *       {@code [::1]:<port>} taken by an unmatched socket, then {@code new DatagramSocket(0)}: with the legacy UDP
 *       impl, {@code NET_BindV6} cannot bind the IPv6 socket to the port the IPv4 one got and retries with fresh
 *       sockets;</li>
 *   <li>{@code plumbing}: a matched ServerSocket(0) (which fills a one-port block), then {@code Selector.open()} and
 *       {@code Pipe.open()}, whose loopback listeners on Windows must not need a port of the block;</li>
 *   <li>{@code continue <tcp> <udp>}: the blocks filled, then every API's wildcard bind, used
 *       ({@link #fullBlockThenEveryApi});</li>
 *   <li>{@code continue-async}: a one-port TCP block filled, then an AsynchronousServerSocketChannel bound; a
 *       one-port UDP block filled, then a DatagramChannel registered with a selector before its bind.</li>
 * </ul>
 */
public final class WindowsScenarios {

    private static final List<Closeable> OPEN = new ArrayList<Closeable>();
    private static int failures;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("continue")) {
            fullBlockThenEveryApi(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        } else if (args[0].equals("continue-async")) {
            step("fill-tcp", () -> port(keep(new ServerSocket(0)).getLocalPort()));
            step("async-server-socket-channel", () -> {
                AsynchronousServerSocketChannel c = keep(AsynchronousServerSocketChannel.open());
                c.bind(new InetSocketAddress(0));
                return port(((InetSocketAddress) c.getLocalAddress()).getPort());
            });
            step("fill-udp", () -> port(keep(new DatagramSocket(0)).getLocalPort()));
            step("registered-datagram-channel", () -> { // registered with a selector before its bind
                DatagramChannel c = keep(DatagramChannel.open());
                c.configureBlocking(false);
                c.register(keep(Selector.open()), SelectionKey.OP_READ);
                c.bind(new InetSocketAddress(0));
                return port(c.socket().getLocalPort());
            });
        } else {
            twoStacksOrPlumbing(args);
        }
        for (Closeable c : OPEN) {
            c.close();
        }
        System.exit(failures == 0 ? 0 : 3);
    }

    /** The policy of {@code continue}: every wildcard bind of this class, TCP and UDP, in the given blocks. */
    static String fullBlockPolicy(String onError, String tcpReservation, String udpReservation) {
        return "version: 1\nmode: enforce\nonError: " + onError + "\n"
                + "log: { level: info, file: portres.log, events: events.jsonl }\n"
                + "reservations:\n  tcp-block: " + tcpReservation + "\n  udp-block: " + udpReservation + "\n"
                + "rules:\n"
                + "  - { name: tcp-wildcard, match: { port: 0, class: \"io.portres.it.windows.**\" }, reservation: tcp-block }\n"
                + "  - { name: udp-wildcard, match: { port: 0, class: \"io.portres.it.windows.**\" }, reservation: udp-block }\n";
    }

    /** Steps of {@code continue} after the fill, each of which prints its port once the socket proved it works. */
    static final String[] AFTER_FULL = {"server-socket", "server-socket-options", "server-socket-channel",
        "socket-bind", "socket-channel-bind", "datagram-socket", "datagram-channel"};

    /**
     * {@code continue <tcp> <udp>}: fills the TCP block with {@code tcp} ServerSockets and the UDP block with
     * {@code udp} DatagramSockets, then binds one socket of each API to port 0 and uses it (a connection accepted,
     * through a Selector for the channels; a datagram received), so that a replaced socket is proven to work, not
     * only to have a port. Unmatched peers on fixed loopback ports: a TCP listener on 23002, a UDP sender on 23003.
     */
    private static void fullBlockThenEveryApi(int tcp, int udp) throws Exception {
        for (int i = 0; i < tcp; i++) {
            step("fill-tcp", () -> port(keep(new ServerSocket(0)).getLocalPort()));
        }
        for (int i = 0; i < udp; i++) {
            step("fill-udp", () -> port(keep(new DatagramSocket(0)).getLocalPort()));
        }
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        ServerSocket peer = keep(new ServerSocket(23002, 50, loopback));
        DatagramSocket sender = keep(new DatagramSocket(new InetSocketAddress(loopback, 23003)));
        step("server-socket", () -> {
            ServerSocket s = keep(new ServerSocket(0));
            keep(new Socket(loopback, s.getLocalPort()));
            keep(s.accept());
            return port(s.getLocalPort());
        });
        step("server-socket-options", () -> { // options set before the bind survive a replaced socket
            ServerSocket s = keep(new ServerSocket());
            s.setReuseAddress(!s.getReuseAddress());
            s.setReceiveBufferSize(123456);
            String before = s.getReuseAddress() + " " + s.getReceiveBufferSize();
            s.bind(new InetSocketAddress(0));
            String after = s.getReuseAddress() + " " + s.getReceiveBufferSize();
            if (!after.equals(before)) {
                throw new IllegalStateException("options before the bind " + before + ", after " + after);
            }
            return port(s.getLocalPort());
        });
        step("server-socket-channel", () -> {
            ServerSocketChannel c = keep(ServerSocketChannel.open());
            c.bind(new InetSocketAddress(0));
            c.configureBlocking(false);
            Selector selector = keep(Selector.open());
            c.register(selector, SelectionKey.OP_ACCEPT);
            keep(new Socket(loopback, c.socket().getLocalPort()));
            if (selector.select(10000) != 1 || c.accept() == null) {
                throw new IllegalStateException("the selector saw no connection");
            }
            return port(c.socket().getLocalPort());
        });
        step("socket-bind", () -> {
            Socket s = keep(new Socket());
            s.bind(new InetSocketAddress(0));
            s.connect(peer.getLocalSocketAddress(), 10000);
            keep(peer.accept());
            return port(s.getLocalPort());
        });
        step("socket-channel-bind", () -> {
            SocketChannel c = keep(SocketChannel.open());
            c.bind(new InetSocketAddress(0));
            c.connect(peer.getLocalSocketAddress());
            keep(peer.accept());
            return port(c.socket().getLocalPort());
        });
        step("datagram-socket", () -> {
            DatagramSocket d = keep(new DatagramSocket(0));
            d.setSoTimeout(10000);
            sender.send(new DatagramPacket(new byte[] {7}, 1, loopback, d.getLocalPort()));
            d.receive(new DatagramPacket(new byte[8], 8));
            return port(d.getLocalPort());
        });
        step("datagram-channel", () -> {
            DatagramChannel c = keep(DatagramChannel.open());
            c.bind(new InetSocketAddress(0));
            c.configureBlocking(false);
            Selector selector = keep(Selector.open());
            c.register(selector, SelectionKey.OP_READ);
            int p = c.socket().getLocalPort();
            sender.send(new DatagramPacket(new byte[] {7}, 1, loopback, p));
            if (selector.select(10000) != 1 || c.receive(ByteBuffer.allocate(8)) == null) {
                throw new IllegalStateException("the selector saw no datagram");
            }
            return port(p);
        });
    }

    private static void twoStacksOrPlumbing(String[] args) throws Exception {
        step("server-socket", () -> port(keep(new ServerSocket(0)).getLocalPort()));
        if (args[0].equals("two-stacks")) {
            int taken = Integer.parseInt(args[1]);
            step("taken", () -> port(keep(new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"),
                    taken))).getLocalPort()));
            step("datagram-socket", () -> port(keep(new DatagramSocket(0)).getLocalPort()));
        } else {
            step("selector", () -> {
                keep(Selector.open());
                return "ok";
            });
            step("pipe", () -> {
                Pipe p = Pipe.open();
                keep(p.source());
                keep(p.sink());
                return "ok";
            });
        }
    }

    interface Step {
        String run() throws Exception;
    }

    private static void step(String name, Step s) {
        try {
            System.out.println(name + " " + s.run());
        } catch (Exception e) {
            failures++;
            System.out.println(name + " FAILED " + e);
        }
    }

    private static String port(int p) {
        return String.valueOf(p);
    }

    private static <T extends Closeable> T keep(T c) {
        OPEN.add(c);
        return c;
    }
}
