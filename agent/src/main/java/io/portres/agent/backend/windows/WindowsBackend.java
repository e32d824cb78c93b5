package io.portres.agent.backend.windows;

import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.backend.Tokens;
import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.ReservationKind;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.net.BindException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Windows: a matched socket is associated with its reservation by {@code WSAIoctl(SIO_ASSOCIATE_PORT_RESERVATION)}
 * just before the JDK's native bind, so that a bind to port 0 draws from the reserved block.
 *
 * <p>Start-up ({@link #start}) hands everything slow to the daemon thread {@code portres-windows}: loading JNA
 * (isolated from the application, {@link JnaIsolation}), the elevation check, and resolving each reservation's token:
 * <ul>
 *   <li>persistent, with a literal {@code token}: used as given;</li>
 *   <li>persistent: looked up by its exact (startPort, count) at every start (tokens change at reboot and are never
 *       kept on disk); with {@code create: true}, created when the lookup finds none;</li>
 *   <li>runtime: acquired with {@code SIO_ACQUIRE_PORT_RESERVATION} on a socket the agent keeps open while a policy
 *       needs it (a given startPort, or any free block when it is 0): a reload whose policy defines it identically
 *       keeps it (block and token), otherwise it is released when its policy is retired, or at shutdown. No
 *       elevation needed.</li>
 * </ul>
 * A matched bind that arrives before that work is done waits for it, at most {@link #readyTimeoutMillis()}; then
 * the association fails and {@code onError} applies. The outcome of start-up is logged as a self-check.
 *
 * <p>Library switch: {@code -Dportres.windows.library=<path>} (or {@code PORTRES_WINDOWS_LIBRARY}) binds every call to
 * that one library instead of the Windows DLLs: the Windows-semantics simulator on Linux (docs/windows.md).
 */
public final class WindowsBackend implements ReservationBackend {

    public static final String LIBRARY_PROPERTY = "portres.windows.library";
    public static final String LIBRARY_ENV = "PORTRES_WINDOWS_LIBRARY";
    static final String TIMEOUT_PROPERTY = "portres.windows.readyTimeoutMillis";
    static final long DEFAULT_READY_TIMEOUT_MILLIS = 10000;

    /** How the JNA side is made; the default loads the isolated JNA, unit tests pass fakes. */
    interface ApiLoader {
        WinApi load(String libraryOverride) throws Exception;

        String how();
    }

    /** One reservation after start-up: a token, or why there is none. */
    static final class Resolved {
        final Reservation reservation;
        final long token;
        final boolean literal;
        final String how;        // "looked up", "created", "acquired", "literal token from the policy"
        final String errorKey;   // null when resolved
        final String error;
        final String block;      // the ports, for messages: "tcp 50000-50099"
        Closeable control;       // runtime: the socket that holds the reservation
        long controlSocket = -1;
        int start;               // the block as held, once resolved: for a runtime block, the one acquired
        int count;
        /** Backends using this runtime reservation (a reload's new backend takes it over); released at zero. */
        java.util.concurrent.atomic.AtomicInteger holders = new java.util.concurrent.atomic.AtomicInteger(1);

        private Resolved(Reservation r, long token, boolean literal, String how, String errorKey, String error,
                         String block) {
            this.reservation = r;
            this.token = token;
            this.literal = literal;
            this.how = how;
            this.errorKey = errorKey;
            this.error = error;
            this.block = block;
        }

        static Resolved ok(Reservation r, long token, boolean literal, String how, String block) {
            Resolved res = new Resolved(r, token, literal, how, null, null, block);
            res.start = r.startPort();
            res.count = r.count();
            return res;
        }

        /** This runtime reservation, held on for {@code r} (an identical definition in a reloaded policy). */
        Resolved carriedTo(Reservation r) {
            Resolved res = new Resolved(r, token, literal, how + ", kept across a reload", null, null, block);
            res.control = control;
            res.controlSocket = controlSocket;
            res.start = start;
            res.count = count;
            res.holders = holders;
            holders.incrementAndGet();
            return res;
        }

        static Resolved failed(Reservation r, String key, String error) {
            return new Resolved(r, 0, false, null, key, error, r.describe());
        }
    }

    private final ApiLoader loader;
    private final String libraryOverride;
    private final boolean onWindows;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final long readyTimeoutMillis;
    private volatile Map<Reservation, Resolved> resolved;
    private volatile WinApi api;
    private volatile int elevation = -1;
    private volatile long startMillis = -1;
    private volatile AgentLog log;
    private volatile boolean stopped;
    /** On a reload: the backend of the policy in force, whose identical runtime reservations this one keeps. */
    private volatile WindowsBackend predecessor;

    /** The backend that {@code backend=windows} (or Windows itself) selects. */
    public WindowsBackend() {
        this(new ApiLoader() {
            @Override
            public WinApi load(String libraryOverride) throws Exception {
                return loadOnce(libraryOverride);
            }

            @Override
            public String how() {
                return JnaIsolation.how();
            }
        }, configuredLibrary(),
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows"),
                Long.getLong(TIMEOUT_PROPERTY, DEFAULT_READY_TIMEOUT_MILLIS));
    }

    WindowsBackend(ApiLoader loader, String libraryOverride, boolean onWindows, long readyTimeoutMillis) {
        this.loader = loader;
        this.libraryOverride = libraryOverride;
        this.onWindows = onWindows;
        this.readyTimeoutMillis = readyTimeoutMillis;
    }

    /**
     * The Windows API for tools outside the agent (the CLI): loads the agent's isolated JNA now, on this thread,
     * bound to the Windows DLLs or to the library that {@code -Dportres.windows.library} names.
     */
    public static WinApi loadApi() throws Exception {
        return loadOnce(configuredLibrary());
    }

    /** JNA and the bindings per library, loaded once per JVM: a reload's new backend reuses them. */
    private static final Map<String, WinApi> LOADED = new java.util.HashMap<String, WinApi>();

    private static synchronized WinApi loadOnce(String libraryOverride) throws Exception {
        String key = libraryOverride == null ? "" : libraryOverride;
        WinApi api = LOADED.get(key);
        if (api == null) {
            api = JnaIsolation.load(libraryOverride);
            LOADED.put(key, api);
        }
        return api;
    }

    /** The library switch as configured ({@code -Dportres.windows.library} or the environment), or null. */
    public static String configuredLibrary() {
        return libraryOverride(System.getProperty(LIBRARY_PROPERTY), System.getenv(LIBRARY_ENV));
    }

    static String libraryOverride(String property, String env) {
        if (property != null && !property.trim().isEmpty()) {
            return property.trim();
        }
        return env != null && !env.trim().isEmpty() ? env.trim() : null;
    }

    @Override
    public String name() {
        return "windows";
    }

    long readyTimeoutMillis() {
        return readyTimeoutMillis;
    }

    /** Returns at once: the work runs on the daemon thread {@code portres-windows}. */
    @Override
    public void start(final Policy policy, final AgentLog log) {
        this.log = log;
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                resolveAll(policy, log);
            }
        }, "portres-windows");
        t.setDaemon(true);
        t.start();
    }

    /** A reload: as {@link #start}, keeping {@code previous}'s runtime reservations that are defined identically. */
    @Override
    public void startAfter(io.portres.agent.backend.ReservationBackend previous, Policy policy, AgentLog log) {
        if (previous instanceof WindowsBackend) {
            predecessor = (WindowsBackend) previous;
        }
        start(policy, log);
    }

    /** Waits for start-up; not ready when it timed out, JNA is unavailable, or a reservation failed anew. */
    @Override
    public String awaitStarted(long timeoutMillis) {
        try {
            if (!ready.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return "start-up did not finish within " + timeoutMillis + " ms";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while waiting for start-up";
        }
        WindowsBackend before = predecessor;
        Map<String, String> failedBefore = new java.util.HashMap<String, String>();
        if (before != null && before.resolved != null) {
            for (Resolved res : before.resolved.values()) {
                if (res.error != null) {
                    failedBefore.put(definition(res.reservation), res.error);
                }
            }
        }
        StringBuilder why = new StringBuilder();
        for (Resolved res : resolved.values()) {
            if (res.error != null && !res.error.equals(failedBefore.get(definition(res.reservation)))) {
                why.append(why.length() == 0 ? "" : "; ").append("reservation '").append(res.reservation.name())
                        .append("': ").append(res.error);
            }
        }
        return why.length() == 0 ? null : why.toString();
    }

    /** What makes two reservations the same block: everything but the name. */
    static String definition(Reservation r) {
        return r.protocol().id() + " " + r.startPort() + " " + r.count() + " " + r.kind().id() + " "
                + (r.hasToken() ? Long.toHexString(r.token()) : "-") + " " + r.create();
    }

    /** The runtime reservations {@code before} holds, by definition, to keep for identical ones. */
    private static Map<String, Resolved> runtimeHeld(WindowsBackend before) {
        Map<String, Resolved> held = new java.util.HashMap<String, Resolved>();
        if (before != null && before.awaitReady() && !before.stopped) {
            for (Resolved res : before.resolved.values()) {
                if (res.error == null && res.control != null) {
                    held.put(definition(res.reservation), res);
                }
            }
        }
        return held;
    }

    /** Start-up work; package-private so that unit tests can run it on their own thread. */
    void resolveAll(Policy policy, AgentLog log) {
        long t0 = System.nanoTime();
        String unavailable = null;
        Map<Reservation, Resolved> m = new IdentityHashMap<Reservation, Resolved>();
        try {
            try {
                if (libraryOverride == null && !onWindows) {
                    unavailable = "the windows backend needs Windows (this is " + System.getProperty("os.name")
                            + "); on Linux it runs only against the Windows-semantics simulator, with -D"
                            + LIBRARY_PROPERTY + "=<path of libportres-winsim.so> (docs/windows.md)";
                } else {
                    api = loader.load(libraryOverride);
                    startMillis = (System.nanoTime() - t0) / 1000000L;
                    elevation = api.elevation();
                }
            } catch (Throwable t) {
                unavailable = "the Windows API could not be loaded through JNA (" + WinErrors.oneLine(String.valueOf(t))
                        + ")";
            }
            Map<String, Resolved> held = unavailable != null ? null : runtimeHeld(predecessor);
            for (Reservation r : policy.reservations()) {
                Resolved kept = held == null ? null : held.remove(definition(r));
                m.put(r, unavailable != null ? Resolved.failed(r, "unavailable", unavailable)
                        : kept != null ? kept.carriedTo(r) : resolveOne(r));
            }
        } catch (Throwable bug) {
            unavailable = "start-up failed: " + bug;
            for (Reservation r : policy.reservations()) {
                if (!m.containsKey(r)) {
                    m.put(r, Resolved.failed(r, "unavailable", unavailable));
                }
            }
        } finally {
            resolved = m;
            ready.countDown();
        }
        selfCheck(policy, log, unavailable, (System.nanoTime() - t0) / 1000000L);
    }

    /** One reservation resolves, fails and is reported on its own: an error here never fails the others. */
    private Resolved resolveOne(Reservation r) {
        try {
            return resolve(r);
        } catch (UnsatisfiedLinkError missing) {
            return Resolved.failed(r, "unsupported", WinErrors.functionMissing(r, missing.getMessage()));
        } catch (Throwable t) {
            return Resolved.failed(r, "unavailable", "resolving it failed: " + WinErrors.oneLine(String.valueOf(t)));
        }
    }

    private Resolved resolve(Reservation r) {
        boolean udp = r.protocol() == Protocol.UDP;
        String block = r.describe();
        if (r.kind() == ReservationKind.RUNTIME) {
            return acquire(r, udp);
        }
        if (r.hasToken()) {
            return Resolved.ok(r, r.token(), true, "literal token from the policy", block);
        }
        long[] token = new long[1];
        int rc = api.lookupPersistent(udp, r.startPort(), r.count(), token);
        if (rc == WinErrors.NO_ERROR) {
            return Resolved.ok(r, token[0], false, "looked up", block);
        }
        if (rc == WinErrors.ERROR_NOT_FOUND && r.create()) {
            int c = api.createPersistent(udp, r.startPort(), r.count(), token);
            if (c == WinErrors.NO_ERROR) {
                return Resolved.ok(r, token[0], false, "created (create: true)", block);
            }
            return Resolved.failed(r, WinErrors.key(c), WinErrors.createFailed(r, c));
        }
        return Resolved.failed(r, WinErrors.key(rc), WinErrors.lookupFailed(r, rc));
    }

    /** A runtime reservation, on a socket of the reservation's protocol that stays open until {@link #stop}. */
    private Resolved acquire(Reservation r, boolean udp) {
        Closeable channel = null;
        try {
            channel = udp ? DatagramChannel.open() : SocketChannel.open();
            int handle = JdkAccess.handle(fdOf(channel));
            if (handle < 0) {
                channel.close();
                return Resolved.failed(r, "no-handle", "cannot read the OS handle of the socket that would hold the"
                        + " runtime reservation (JDK internals unavailable)");
            }
            long[] out = new long[3];
            long socket = handle & 0xFFFFFFFFL;
            int rc = api.acquire(socket, r.startPort(), r.count(), out);
            if (rc != WinErrors.NO_ERROR) {
                channel.close();
                return Resolved.failed(r, WinErrors.key(rc), WinErrors.acquireFailed(r, rc));
            }
            int start = (int) out[0];
            int count = (int) out[1];
            String block = r.protocol().id() + " " + (count == 1 ? String.valueOf(start)
                    : start + "-" + (start + count - 1));
            Resolved res = Resolved.ok(r, out[2], false, "acquired " + block, block);
            res.start = start;
            res.count = count;
            res.control = channel;
            res.controlSocket = socket;
            return res;
        } catch (Exception e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (Exception ignored) {
                    // already failing
                }
            }
            return Resolved.failed(r, "acquire", "cannot open the socket that would hold the runtime reservation: "
                    + e);
        }
    }

    private static FileDescriptor fdOf(Object channel) throws Exception {
        return (FileDescriptor) Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD").invoke(channel);
    }

    private void selfCheck(Policy policy, AgentLog log, String unavailable, long totalMillis) {
        if (log == null) {
            return;
        }
        if (unavailable != null) {
            log.error("windows: " + unavailable + "; every matched bind fails its association (onError applies)");
            return;
        }
        log.info("windows: " + api.describe() + ", loaded in " + startMillis + " ms through " + loader.how()
                + ", start-up " + totalMillis + " ms on thread portres-windows; the process is "
                + (elevation == 1 ? "elevated" : elevation == 0 ? "not elevated" : "of unknown elevation"));
        for (Reservation r : policy.reservations()) {
            Resolved res = resolved.get(r);
            String head = "windows: reservation '" + r.name() + "' (" + r.describe() + ", " + r.kind().id() + ")";
            if (res.error != null) {
                log.warn(head + ": " + res.error);
            } else if (r.kind() == ReservationKind.PERSISTENT && elevation == 0) {
                log.warn(head + ": token " + Tokens.hex(res.token) + " (" + res.how + "), but associating sockets"
                        + " with a persistent reservation needs an elevated process and this one is not: matched"
                        + " binds will fail with WSAEACCES (run elevated, or use kind: runtime)");
            } else {
                log.info(head + ": token " + Tokens.hex(res.token) + " (" + res.how + ")");
            }
        }
    }

    private boolean awaitReady() {
        if (ready.getCount() == 0) {
            return true;
        }
        try {
            return ready.await(readyTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the application's interrupt: keep it, and give up waiting
            return ready.getCount() == 0;
        }
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        if (!awaitReady()) {
            throw new AssociationException("not-ready", "the Windows backend was not ready after "
                    + readyTimeoutMillis + " ms (JNA loading and token resolution run at start-up on thread"
                    + " portres-windows)");
        }
        Reservation r = attempt.reservation();
        Resolved res = resolved.get(r);
        if (res == null) {
            throw new AssociationException("unknown", "reservation '" + r.name() + "' was not resolved at start-up");
        }
        if (res.error != null) {
            throw new AssociationException(res.errorKey, res.error);
        }
        int handle = attempt.handle();
        if (handle < 0) {
            throw new AssociationException("no-handle", "cannot read the socket's OS handle (JDK internals"
                    + " unavailable)");
        }
        associate(res, handle & 0xFFFFFFFFL, "");
        FileDescriptor second;
        try {
            second = TwoStacks.secondSocket(attempt.context());
        } catch (IllegalStateException e) {
            throw new AssociationException("two-stacks", e.getMessage());
        }
        if (second != null) {
            int h2 = JdkAccess.handle(second);
            if (h2 < 0) {
                throw new AssociationException("no-handle", "cannot read the OS handle of the second (IPv6) socket"
                        + " of this two-stack socket");
            }
            associate(res, h2 & 0xFFFFFFFFL, " (the second, IPv6 socket of this two-stack socket)");
        }
        // A wildcard bind of an associated socket draws from the block; the backend makes that native bind itself
        // (bindInReservation) only to tell a full block apart from other bind failures.
        return attempt.port() == 0 && !attempt.implicit() ? BIND_IN_RESERVATION : attempt.port();
    }

    /**
     * The JDK's own native bind, unchanged; a {@link BindException} there means that no port of the block was free
     * (the socket is associated, so Windows looked only inside the block), which is reported as an association
     * failure so that the rule's {@code onError} applies and the message names the reservation. The socket keeps
     * its association (Windows cannot undo one): under {@code continue} the dispatcher binds a fresh socket in its
     * place, as requested.
     */
    @Override
    public void bindInReservation(BindAttempt attempt, NativeBind nativeBind) throws AssociationException,
            java.io.IOException {
        try {
            nativeBind.bind(attempt.port());
        } catch (java.net.SocketException full) {
            String why = explainBindFailure(attempt, full);
            if (why == null) {
                throw full;
            }
            throw new AssociationException("exhausted", why, full);
        }
        checkTwoStacksPort(attempt);
    }

    /**
     * A two-stack socket's native bind ({@code NET_BindV6}) binds the IPv4 socket, then the IPv6 one to the same
     * port; when that fails on a port-0 request it retries with fresh, unassociated sockets, which can end outside
     * the block. Such a socket is not associated: it fails like an association (onError applies).
     */
    private void checkTwoStacksPort(BindAttempt attempt) throws AssociationException {
        Resolved res = resolved.get(attempt.reservation());
        int port = TwoStacks.boundPort(attempt.context());
        if (res == null || port <= 0 || res.start <= 0 || (port >= res.start && port < res.start + res.count)) {
            return;
        }
        throw new AssociationException("outside", "the socket was bound to port " + port + ", outside " + res.block
                + ": the JDK's two-stack bind (NET_BindV6) found the port taken on one of its two sockets and"
                + " retried with new sockets that carry no association; free the block's ports on both IPv4 and"
                + " IPv6, or use the dual-stack impl (leave -Djdk.net.usePlainDatagramSocketImpl off)");
    }

    private void associate(Resolved res, long socket, String which) throws AssociationException {
        int rc = api.associate(socket, res.token);
        if (rc != WinErrors.NO_ERROR) {
            throw new AssociationException(WinErrors.key(rc), WinErrors.associateFailed(res.reservation, res.token,
                    res.literal, elevation, rc) + which);
        }
    }

    @Override
    public String tokenOf(Reservation reservation) {
        Map<Reservation, Resolved> m = resolved;
        Resolved res = m == null ? null : m.get(reservation);
        if (res != null && res.error == null) {
            return Tokens.hex(res.token);
        }
        return reservation.hasToken() ? Tokens.hex(reservation.token()) : null;
    }

    /** The block as held: a runtime reservation at any start port is the block acquired. */
    @Override
    public boolean inBlock(Reservation reservation, int port) {
        Map<Reservation, Resolved> m = resolved;
        Resolved res = m == null ? null : m.get(reservation);
        if (res == null || res.error != null) {
            return reservation.contains(port);
        }
        return res.count > 0 && port >= res.start && port < res.start + res.count;
    }

    /** A wildcard (or implicit) bind that fails after a successful association: the block is full. */
    @Override
    public String explainBindFailure(BindAttempt attempt, Throwable failure) {
        Map<Reservation, Resolved> m = resolved;
        Resolved res = m == null ? null : m.get(attempt.reservation());
        if (!exhaustion(failure) || res == null || res.error != null
                || (attempt.port() != 0 && !attempt.implicit())) {
            return null;
        }
        return "the reservation is exhausted: no port of " + res.block + " is free (the bind after the association"
                + " failed: " + failure.getMessage() + "); enlarge the block (count) or free ports";
    }

    /**
     * Whether a failed bind of an associated socket says "no port left". Microsoft's page says only that the bind
     * fails; the plausible answers are WSAEADDRINUSE and WSAEACCES (the JDK's BindException; NET_Bind rewrites
     * some WSAEACCES) and WSAENOBUFS (what Windows answers when its ephemeral ports run out; the JDK's
     * SocketException "No buffer space available").
     */
    static boolean exhaustion(Throwable failure) {
        if (failure instanceof BindException) {
            return true;
        }
        String m = failure instanceof java.net.SocketException ? failure.getMessage() : null;
        return m != null && (m.contains("No buffer space") || m.contains("WSAENOBUFS") || m.contains("10055"));
    }

    /** Releases the runtime reservations and closes the sockets that held them. */
    @Override
    public boolean releasesAtExit() {
        return true; // runtime reservations and the control sockets
    }

    @Override
    public void stop() {
        Map<Reservation, Resolved> m = resolved;
        if (m == null || stopped) {
            return;
        }
        stopped = true;
        for (Resolved res : new ArrayList<Resolved>(m.values())) {
            if (res.control == null || res.holders.decrementAndGet() > 0) {
                continue; // none, or kept by a reloaded policy's backend
            }
            try {
                api.release(res.controlSocket, res.token);
            } catch (Throwable ignored) {
                // the JVM is exiting; closing the socket releases it too
            }
            try {
                res.control.close();
            } catch (Throwable ignored) {
                // as above
            }
        }
    }

    /** For tests: the resolution of every reservation, once start-up finished (else null). */
    List<Resolved> resolutions() {
        Map<Reservation, Resolved> m = resolved;
        return m == null ? null : new ArrayList<Resolved>(m.values());
    }
}
