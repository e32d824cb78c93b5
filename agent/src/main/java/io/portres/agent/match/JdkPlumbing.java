package io.portres.agent.match;

import java.net.InetAddress;

/**
 * The JDK's own plumbing, which no rule takes into a reservation: on Windows, {@code sun.nio.ch.PipeImpl} makes a
 * pipe from two loopback TCP sockets, binding a listener to port 0 of the loopback address. Every
 * {@code Selector.open()} does it (the selector's wakeup pipe), and so does {@code Pipe.open()}. Taken into a block
 * with a bare {@code port: 0} rule, those listeners use up reserved ports, and with the block full
 * {@code Selector.open()} fails ("Unable to establish loopback connection"): every NIO server (Tomcat, Jetty, Netty)
 * fails to start. They are not the application's sockets, so they are never matched: neither the listener's bind
 * nor the client end's connect (an implicit bind). The stack is walked only on Windows, only for a loopback port-0
 * TCP bind that a rule could match, and for a connect of an unbound socket when the policy has {@code implicit: true}
 * rules.
 *
 * <p>Not excluded: the bind that {@code AsynchronousSocketChannel.connect} makes on Windows for an unbound channel
 * ({@code WindowsAsynchronousSocketChannelImpl.implConnect} binds port 0 before {@code ConnectEx}): that is the
 * application's own client socket, matched like any other implicit bind (rules with {@code implicit: true}).
 */
final class JdkPlumbing {

    /**
     * Only Windows' {@code PipeImpl} is made of sockets; elsewhere it is an OS pipe ({@code IOUtil.makePipe}) and
     * binds nothing, so the stack is never walked for it: a full stack trace per matched loopback port-0 bind and per
     * implicit connect cost about 8 µs (BENCHMARKS.md, end to end).
     */
    private static final boolean SOCKET_PIPES =
            System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");

    private JdkPlumbing() {
    }

    /** Whether a TCP bind to {@code address}:{@code port} is the JDK's pipe plumbing (walks the stack only then). */
    static boolean isPipe(InetAddress address, int port) {
        return SOCKET_PIPES && port == 0 && address != null && address.isLoopbackAddress() && pipeOnStack();
    }

    /** Whether {@code sun.nio.ch.PipeImpl} makes this connect (before any application frame); never off Windows. */
    static boolean pipeConnect() {
        return SOCKET_PIPES && pipeOnStack();
    }

    /** Whether {@code sun.nio.ch.PipeImpl} makes this bind or connect (before any application frame). */
    private static boolean pipeOnStack() {
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("sun.nio.ch.PipeImpl")) {
                return true;
            }
            if (!SocketCode.isSocketOrAgentFrame(c) && !c.startsWith("java.") && !c.startsWith("sun.")
                    && !c.startsWith("jdk.")) {
                return false; // the application's (or a library's) frame comes first: its own socket
            }
        }
        return false;
    }
}
