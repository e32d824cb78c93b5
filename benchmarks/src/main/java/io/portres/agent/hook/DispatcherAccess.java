package io.portres.agent.hook;

import io.portres.agent.hook.point.Sites;

import io.portres.agent.Engine;
import io.portres.agent.match.StackCapture;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls the dispatcher's package-private hooks as the bridge ({@code sun.nio.ch.PortresBridge}) does around a bind:
 * {@code before}; then, only while a matched bind is in flight, {@code nativeBind} in place of the JDK's native bind
 * (with no bridge connected it declines, and the real bind would follow: here there is none; the dispatcher then
 * records the bind from {@code after}, reading a port that no socket has) and {@code after}. Lives in the agent's package, in another jar (fine on
 * the class path). The frames of this class are skipped by {@code StackCapture} (prefix {@code io.portres.agent.}),
 * like the bridge's and the JDK socket code's in a real bind.
 *
 * <p>Differences from a real bind, which the end-to-end benchmark covers: no bridge method handle
 * ({@code invokeExact}), no socket, and {@code after} is given the bound port instead of reading it with
 * {@code getsockname}.
 */
public final class DispatcherAccess {

    /** {@link #call} operations. */
    public static final int BIND = 0;
    public static final int NOOP = 1;
    public static final int CAPTURE = 2;
    /** {@code BindAttempt.MAX_FRAMES}: how deep the caller lookup of a matched bind walks. */
    static final int MAX_FRAMES = 128;
    /** What a port-0 bind "gets", handed to {@code after}. */
    static final int EPHEMERAL = 45678;
    private static AtomicInteger inFlight = new AtomicInteger();

    private DispatcherAccess() {
    }

    /** Puts {@code engine} in force (null: none) and finds the dispatcher's in-flight counter. */
    public static void install(Engine engine) throws ReflectiveOperationException {
        BindDispatcher.setEngine(engine);
        Field f = BindDispatcher.class.getDeclaredField("inFlight");
        f.setAccessible(true);
        inFlight = (AtomicInteger) f.get(null);
    }

    public static int call(int op, int port) throws IOException {
        switch (op) {
            case BIND:
                return bind(port);
            case CAPTURE:
                return StackCapture.callerFrames(MAX_FRAMES).length; // what a matched bind walks, alone
            default:
                return port; // the harness's own cost
        }
    }

    /** A legacy TCP bind (site B) of the wildcard address to {@code port}; no file descriptor is needed. */
    public static int bind(int port) throws IOException {
        int p = BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, null, null, port);
        if (inFlight.get() != 0) {
            if (BindDispatcher.nativeBind(Sites.LEGACY_TCP_BIND, null, null, false, false, null, p)) {
                throw new IllegalStateException("the audit backend bound the socket itself");
            }
            BindDispatcher.after(Sites.LEGACY_TCP_BIND, null, p == 0 ? EPHEMERAL : p, null);
        }
        return p;
    }
}
