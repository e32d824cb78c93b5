package io.portres.it.apps;

import java.io.Closeable;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A test application (Java 8 bytecode) for the agent under a SecurityManager. With {@code runtime} it installs a
 * SecurityManager first, as Tomcat's Bootstrap does; otherwise one may be installed at launch. Then binds, keeping
 * every socket open: ServerSocket, ServerSocketChannel and DatagramSocket on port 0 (wildcard, matched by the test
 * policy) and on fixed ports (unmatched). Prints {@code manager <true|false>}, then {@code <name> <port>} or
 * {@code <name> FAILED <exception>} per bind; exit status 3 when a bind failed.
 * Usage: {@code SecurityManagerApp <launch|runtime> <first fixed port>}.
 */
public final class SecurityManagerApp {

    private static final List<Closeable> OPEN = new ArrayList<Closeable>();
    private static boolean failed;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("runtime")) {
            System.setSecurityManager(new SecurityManager());
        }
        int fixed = Integer.parseInt(args[1]);
        System.out.println("manager " + (System.getSecurityManager() != null));
        for (int i = 0; i < 2; i++) {
            int port = i == 0 ? 0 : fixed;
            String kind = i == 0 ? "matched-" : "unmatched-";
            try {
                ServerSocket s = new ServerSocket(port);
                OPEN.add(s);
                System.out.println(kind + "server-socket " + s.getLocalPort());
            } catch (Exception e) {
                fail(kind + "server-socket", e);
            }
            try {
                ServerSocketChannel c = ServerSocketChannel.open();
                OPEN.add(c);
                c.bind(new InetSocketAddress(port == 0 ? 0 : port + 1));
                System.out.println(kind + "server-socket-channel " + c.socket().getLocalPort());
            } catch (Exception e) {
                fail(kind + "server-socket-channel", e);
            }
            try {
                DatagramSocket d = new DatagramSocket(port == 0 ? 0 : port + 2);
                OPEN.add(d);
                System.out.println(kind + "datagram-socket " + d.getLocalPort());
            } catch (Exception e) {
                fail(kind + "datagram-socket", e);
            }
        }
        for (Closeable c : OPEN) {
            c.close();
        }
        if (failed) {
            System.exit(3);
        }
    }

    private static void fail(String name, Exception e) {
        failed = true;
        System.out.println(name + " FAILED " + e);
    }
}
