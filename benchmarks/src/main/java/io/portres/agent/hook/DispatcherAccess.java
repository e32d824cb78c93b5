package io.portres.agent.hook;

import io.portres.agent.hook.point.Sites;

import io.portres.agent.Engine;
import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.match.StackCapture;
import io.portres.bench.Policies;
import io.portres.policy.ClassMatcher;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls the dispatcher's package-private hooks as the bridge ({@code sun.nio.ch.PortresBridge.netBind0}) does
 * around an NIO bind (site A, {@code Net.bind}: every TCP bind on JDK 13+): {@code before}; then, only while a
 * matched bind is in flight, {@code nativeBind}, which calls the bridge's {@code realBind} and reads the socket's
 * bound port back from the OS ({@code getsockname}) for the verdict; then {@code after}, which records the bind.
 *
 * <p>The socket is real: one {@link ServerSocketChannel}, bound to loopback port 0 by {@link #install} and kept
 * open, whose descriptor every call passes. The dispatcher is connected to {@link Bridge}, a stand-in for the
 * bridge whose {@code realBind} binds nothing: the socket is bound already. So a matched call times everything the
 * agent adds to a bind in audit mode (the decision, the stack read of a class condition, the caller, the protocol's
 * {@code getsockopt}, the read-back's {@code getsockname}, the verdict, the event) and leaves out the native bind
 * itself, which audit mode makes exactly as the JDK would without the agent.
 *
 * <p>Still left out, which the end-to-end benchmark ({@code io.portres.bench.EndToEndBind}) covers: the bridge's
 * own frames and its interface call into the agent ({@code PortresDispatcher}, here direct calls), its reflective
 * {@code realBind} (JDK 8-17), and the JDK's channel code around {@code Net.bind}. The frames of this class are
 * skipped by {@code StackCapture} (prefix {@code io.portres.agent.}), like the bridge's and the JDK socket code's
 * in a real bind. Lives in the agent's package, in another jar (fine on the class path).
 */
public final class DispatcherAccess {

    /** {@link #call} operations. */
    public static final int BIND = 0;
    public static final int NOOP = 1;
    public static final int CAPTURE = 2;
    public static final int CAPTURE_TO_APP = 3;
    /** The by-class rule's condition: met by {@code io.portres.bench.app.Server}. */
    private static final ClassMatcher APP = ClassMatcher.of(Collections.singletonList(Policies.APP_CLASSES));
    /** {@code BindAttempt.MAX_FRAMES}: how deep the caller lookup of a matched bind walks. */
    static final int MAX_FRAMES = 128;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static ServerSocketChannel channel;
    private static FileDescriptor fd;

    private DispatcherAccess() {
    }

    /**
     * The dispatcher's stand-in bridge ({@link BindDispatcher#connect} reads {@code IN_FLIGHT} and looks up
     * {@code realBind}). The real bridge's {@code realBind} calls the JDK's native bind; this one only remembers its
     * port, since {@link DispatcherAccess}'s socket is bound already.
     */
    public static final class Bridge {
        public static final AtomicInteger IN_FLIGHT = new AtomicInteger();
        /** The port of the last {@code realBind}; -1: none yet (the harness's check that the call got there). */
        public static int lastPort = -1;

        private Bridge() {
        }

        public static void realBind(int site, Object self, FileDescriptor fd, boolean preferIPv6, boolean exclusive,
                                    InetAddress address, int port) {
            lastPort = port;
        }
    }

    /**
     * Puts {@code engine} in force with a bound socket and the stand-in bridge connected; null: none, and the socket
     * closed. Returns the socket's port.
     */
    public static int install(Engine engine) throws Exception {
        BindDispatcher.connect(Bridge.class);
        BindDispatcher.setEngine(engine);
        if (engine == null) {
            if (channel != null) {
                channel.close();
            }
            channel = null;
            fd = null;
            return -1;
        }
        if (channel == null) {
            channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress(LOOPBACK, 0));
            Field f = channel.getClass().getDeclaredField("fd"); // sun.nio.ch.ServerSocketChannelImpl: --add-opens
            f.setAccessible(true);
            fd = (FileDescriptor) f.get(channel);
        }
        int port = channel.socket().getLocalPort();
        if (JdkAccess.localPort(fd) != port) {
            throw new IllegalStateException("the agent cannot read the socket's port back (" + JdkAccess.localPort(fd)
                    + ", bound " + port + "): the matched figures would time a failure");
        }
        return port;
    }

    public static int call(int op, int port) throws IOException {
        switch (op) {
            case BIND:
                return bind(port);
            case CAPTURE:
                return StackCapture.callerFrames(MAX_FRAMES).length; // what a matched bind walks, alone
            case CAPTURE_TO_APP:
                return StackCapture.callerFramesUntil(MAX_FRAMES, APP).length; // a class condition's walk, alone
            default:
                return port; // the harness's own cost
        }
    }

    /** An NIO bind (site A) of loopback to {@code port}, as the bridge's {@code netBind0} makes it. */
    public static int bind(int port) throws IOException {
        int p = BindDispatcher.before(Sites.NET_BIND, null, fd, LOOPBACK, port);
        if (Bridge.IN_FLIGHT.get() != 0) {
            if (!BindDispatcher.nativeBind(Sites.NET_BIND, null, fd, false, false, LOOPBACK, p)) {
                throw new IllegalStateException("the dispatcher did not make the native bind of a matched bind");
            }
            BindDispatcher.after(Sites.NET_BIND, fd, -1, null);
        }
        return p;
    }
}
