package io.portres.it.windows;

import java.io.Closeable;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.Pipe;
import java.nio.channels.Selector;
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
 *       {@code Pipe.open()}, whose loopback listeners on Windows must not need a port of the block.</li>
 * </ul>
 */
public final class WindowsScenarios {

    private static final List<Closeable> OPEN = new ArrayList<Closeable>();
    private static int failures;

    public static void main(String[] args) throws Exception {
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
        for (Closeable c : OPEN) {
            c.close();
        }
        System.exit(failures == 0 ? 0 : 3);
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
