package io.portres.it.apps;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A test application (Java 8 bytecode) for the Linux backend's block rules. Prints one line per socket and keeps
 * every socket open until the end. Usage:
 * <ul>
 *   <li>{@code reuseport <n>}: n ServerSocketChannels with SO_REUSEPORT, bound to port 0 ({@code reuseport <port>});</li>
 *   <li>{@code multicast <n>}: n MulticastSockets (SO_REUSEADDR on) on port 0;</li>
 *   <li>{@code server <n>}: n ServerSockets on port 0;</li>
 *   <li>{@code conflict <port>}: the JDK's own message for a port taken twice, unmatched ({@code conflict <message>});</li>
 *   <li>{@code passive <n>} and {@code passive-range <n> <first> <count>}: n sequential passive-FTP-like
 *       transfers: a listener on port 0 (matched: the block chooses), or on the next port of its own range as an
 *       FTP server's passive ports do; a client connects on loopback, the server sends 1 KiB and closes first, so
 *       that its side of every data connection ends in TIME_WAIT. Prints {@code transfer <i> <port>} per transfer
 *       and {@code served <k> of <n>}; {@code passive <n> <m>} then opens m+1 ServerSockets on port 0 at once, kept
 *       open ({@code server <port>}).</li>
 * </ul>
 */
public final class LinuxBlockApp {

    private static final List<Closeable> OPEN = new ArrayList<Closeable>();

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        if (mode.equals("conflict")) {
            ServerSocket a = new ServerSocket(n, 50, InetAddress.getLoopbackAddress());
            try {
                new ServerSocket(n, 50, InetAddress.getLoopbackAddress()).close();
                System.out.println("conflict none");
            } catch (java.net.BindException e) {
                System.out.println("conflict " + e.getMessage());
            }
            a.close();
            return;
        }
        if (mode.startsWith("passive")) {
            int first = args.length > 2 ? Integer.parseInt(args[2]) : 0; // passive: the m of "passive <n> <m>"
            int count = args.length > 3 ? Integer.parseInt(args[3]) : 1;
            int served = 0;
            for (int i = 0; i < n; i++) {
                int port = mode.equals("passive") ? 0 : first + i % count;
                try {
                    System.out.println("transfer " + i + " " + transfer(port));
                    served++;
                } catch (Exception e) {
                    System.out.println("transfer " + i + " FAILED " + e);
                }
            }
            System.out.println("served " + served + " of " + n);
            if (mode.equals("passive") && args.length > 2) {
                openAll("server", first + 1); // "passive <n> <m>": then m+1 server sockets at once
            }
            return;
        }
        openAll(mode, n);
    }

    private static void openAll(String mode, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            try {
                System.out.println(mode + " " + open(mode));
            } catch (Exception e) {
                System.out.println(mode + " FAILED " + e);
            }
        }
        for (Closeable c : OPEN) {
            c.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static int open(String mode) throws Exception {
        if (mode.equals("reuseport")) {
            ServerSocketChannel c = ServerSocketChannel.open();
            OPEN.add(c);
            // StandardSocketOptions.SO_REUSEPORT is JDK 9+: read reflectively to keep this class Java 8
            SocketOption<Boolean> reusePort = (SocketOption<Boolean>) StandardSocketOptions.class
                    .getField("SO_REUSEPORT").get(null);
            c.setOption(reusePort, true);
            c.bind(new InetSocketAddress(0));
            return c.socket().getLocalPort();
        } else if (mode.equals("multicast")) {
            MulticastSocket s = new MulticastSocket(0);
            OPEN.add(s);
            return s.getLocalPort();
        } else if (mode.equals("server")) {
            ServerSocket s = new ServerSocket(0);
            OPEN.add(s);
            return s.getLocalPort();
        }
        throw new IllegalArgumentException("unknown mode " + mode);
    }

    /** One data connection; the server closes first. */
    private static int transfer(int port) throws Exception {
        ServerSocket listener = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
        try {
            int bound = listener.getLocalPort();
            Socket client = new Socket(InetAddress.getLoopbackAddress(), bound);
            Socket data = listener.accept();
            OutputStream out = data.getOutputStream();
            out.write(new byte[1024]);
            data.close();
            InputStream in = client.getInputStream();
            int total = 0;
            for (int r; (r = in.read(new byte[512])) > 0; ) {
                total += r;
            }
            client.close();
            if (total != 1024) {
                throw new IllegalStateException("received " + total + " bytes");
            }
            return bound;
        } finally {
            listener.close();
        }
    }
}
