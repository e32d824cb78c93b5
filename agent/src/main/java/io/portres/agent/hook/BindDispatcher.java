package io.portres.agent.hook;

import io.portres.agent.hook.point.Admission;
import io.portres.agent.hook.point.BindHook;
import io.portres.agent.hook.point.HookPoint;
import io.portres.agent.hook.point.Sites;

import io.portres.agent.jdk.JdkAccess;

import io.portres.agent.Engine;
import io.portres.agent.Privileges;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.discover.Discovery;
import io.portres.agent.match.PolicyMatcher;
import io.portres.agent.match.StackCapture;
import io.portres.policy.ClassMatcher;
import io.portres.policy.OnError;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.BindException;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the bridge calls (through {@link BridgeLink}): from a hooked JDK bind to a decision, the backend's
 * association, the native bind, the verdict and the event.
 *
 * <p>A matched bind is one {@link BindCall}, created at the decision with the {@link Engine} in force, pinned to it
 * until its event is recorded: {@link #before} decides, {@link #nativeBind} makes the native bind (the JDK's, or the
 * backend's) and reads the socket's bound port back from the OS, {@link #after} records. Only a bound port inside the
 * reservation's block is {@code associated}; anything else is an association failure, and {@code onError} applies.
 *
 * <p>Hot path discipline: an unmatched bind returns after {@link PolicyMatcher#mayMatch} (array reads and address
 * compares); nothing on that path allocates, walks the stack or touches a ThreadLocal. Everything below the
 * candidate check runs under a per-thread re-entrancy guard, catches every Throwable, and only lets the deliberate
 * {@link BindException} of {@code onError: fail} escape.
 */
public final class BindDispatcher {

    private static volatile Engine engine;
    /** The bridge's count of matched binds in flight (it gates the exit hooks); set by {@link #connect}. */
    private static volatile AtomicInteger inFlight = new AtomicInteger();
    /** The bridge's {@code realBind}: the JDK's own native bind of a site. */
    private static volatile MethodHandle realBind;
    private static volatile Class<?> bridgeClass;

    /** Per thread: the re-entrancy guard, the bind in flight, and the stack walk of the current decision. */
    static final class Scratch implements PolicyMatcher.Frames {
        /** How many caller frames a class condition may look at. */
        static final int MAX_FRAMES = 128;

        boolean busy;
        BindCall current;
        private String[] frames;
        /** False when {@link #frames} stopped early at a class condition's frame: the rest is unread. */
        private boolean framesComplete;
        /** The frame that satisfied the last class condition that was met. */
        String matchedFrame;

        void startDecision() {
            frames = null;
            framesComplete = false;
            matchedFrame = null;
        }

        /** The frames a class condition has read so far (perhaps not the whole stack), or null: never read. */
        String[] walkedFrames() {
            return frames;
        }

        /** Class names of the frames above the JDK socket code, nearest first; walked once, on first use. */
        @Override
        public String[] frames() {
            if (frames == null || !framesComplete) {
                frames = StackCapture.callerFrames(MAX_FRAMES);
                framesComplete = true;
            }
            return frames;
        }

        /**
         * Whether a caller frame satisfies {@code classes}: walks the stack only up to the first frame that does (the
         * usual case: the class that opens the socket is near the bind), keeps what it walked for the caller and the
         * next rule's condition, and remembers the frame for the event's {@code matched}.
         */
        @Override
        public boolean anyMatches(ClassMatcher classes) {
            if (frames != null) {
                for (String f : frames) {
                    if (classes.matches(f)) {
                        matchedFrame = f;
                        return true;
                    }
                }
                if (framesComplete) {
                    return false;
                }
            }
            frames = StackCapture.callerFramesUntil(MAX_FRAMES, classes);
            boolean stopped = frames.length > 0 && classes.matches(frames[frames.length - 1]);
            framesComplete = !stopped;
            if (stopped) {
                matchedFrame = frames[frames.length - 1];
            }
            return stopped;
        }

        /**
         * The nearest class outside the JDK socket code and the agent, or null. When no class condition walked the
         * stack for this bind, only the frames up to that class are walked (a handful), not {@link #MAX_FRAMES}.
         */
        String caller() {
            String[] f = frames != null ? frames : StackCapture.callerFrames(1);
            return f.length == 0 ? null : f[0];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<Scratch>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private BindDispatcher() {
    }

    /**
     * Connects this class to the bridge (its in-flight count and its {@code realBind}). Called once, after the bridge
     * was defined, by {@link BridgeLink#connect}, which then gives the bridge its way to {@link #before},
     * {@link #nativeBind} and {@link #after}; tests connect stand-in bridges here directly.
     */
    public static void connect(Class<?> bridge) throws Exception {
        inFlight = (AtomicInteger) bridge.getField("IN_FLIGHT").get(null);
        bridgeClass = bridge;
        realBind = null;
    }

    /** The bridge's {@code realBind}, built at the first matched native bind. */
    private static MethodHandle realBind() throws Exception {
        MethodHandle h = realBind;
        if (h == null) {
            h = MethodHandles.lookup().findStatic(bridgeClass, "realBind", MethodType.methodType(void.class,
                    int.class, Object.class, FileDescriptor.class, boolean.class, boolean.class, InetAddress.class,
                    int.class));
            realBind = h;
        }
        return h;
    }

    /** Installs or replaces the policy in force; binds already decided keep the engine that decided them. */
    public static void setEngine(Engine e) {
        engine = e;
    }

    public static Engine engine() {
        return engine;
    }

    /** The engine in force, pinned for one bind; null when there is none. */
    private static Engine pin(Engine e) {
        while (e != null && !e.enter()) {
            e = engine; // retired between the read and the pin: the reload swapped in its successor first
        }
        return e;
    }

    public static int before(int site, Object context, FileDescriptor fd, InetAddress address, int port)
            throws BindException {
        if (SelfTest.probing == Thread.currentThread()) {
            SelfTest.arrived(site); // the self-test's own bind: no decision, no log line, no event, no discovery
            return port;
        }
        if (Discovery.enabled()) {
            Discovery.before(site, context, fd, address, port); // discover=<file>: records every bind, changes none
        }
        Engine e = engine;
        if (e == null) {
            return port;
        }
        PolicyMatcher m = e.matcher();
        BindHook hook = HookPoint.atSite(site);
        Admission admitted = hook == null ? null : hook.admit(m, fd, address, port);
        if (admitted == null) {
            return port; // no rule can match a bind of this point: untouched, nothing allocated
        }
        site = admitted.site();
        Protocol protocol = admitted.protocol(); // null at A: learnt from the socket below, only for candidates
        boolean implicit = admitted.implicit();
        if (Privileges.refused()) {
            return port; // a SecurityManager that does not grant the agent AllPermission: reported once, stand aside
        }
        Scratch s = SCRATCH.get();
        if (s.busy) {
            return port; // a bind made by the agent's own work (or a backend): never decide recursively
        }
        s.busy = true;
        Engine pinned = null;
        BindCall c = null;
        try {
            if (s.current != null) {
                finishUnreported(s); // defensive: an exit hook that never ran
            }
            pinned = pin(e);
            if (pinned == null) {
                return port;
            }
            if (protocol == null) {
                protocol = JdkAccess.protocolOf(fd);
                if (protocol == null) {
                    return port; // SCTP, or a socket we cannot read
                }
            }
            s.startDecision();
            m = pinned.matcher();
            Rule rule = implicit ? m.matchImplicit(s) : m.match(protocol, address, port, s);
            if (rule == null) {
                pinned.noRuleMatched(s.walkedFrames()); // the frames a class condition read, for the hints at exit
                return port;
            }
            c = new BindCall(pinned, site, context, fd, address, port, protocol, implicit, rule,
                    pinned.wantsCaller() ? s.caller() : null, rule.classes() != null ? s.matchedFrame : null);
            pinned = null; // from here the call holds the pin, until it is recorded
            return decide(s, c);
        } catch (BindException deliberate) {
            throw deliberate;
        } catch (Throwable bug) {
            e.log().agentBug("bind hook", bug);
            if (c != null && s.current != c && c.state != BindCall.State.FINISHED) {
                c.state = BindCall.State.FINISHED;
                c.engine().release();
            }
            return port;
        } finally {
            if (pinned != null) {
                pinned.release();
            }
            s.busy = false;
        }
    }

    /** The backend's association; returns the port for the JDK to bind. Sets {@code s.current} when in flight. */
    private static int decide(Scratch s, BindCall c) throws BindException {
        Engine e = c.engine();
        ReservationBackend backend = e.backend();
        Rule rule = c.rule();
        Reservation reservation = rule.reservation();
        int port = c.port();
        if (e.audit()) {
            c.outcome = BindCall.Outcome.AUDITED;
            c.state = BindCall.State.AWAITING_JDK_BIND;
        } else {
            try {
                int p = backend.associate(c);
                c.associationPlanned = true;
                if (p == ReservationBackend.BIND_IN_RESERVATION) {
                    c.state = BindCall.State.AWAITING_BACKEND_BIND;
                } else {
                    c.state = BindCall.State.AWAITING_JDK_BIND;
                    if (p >= 0 && p <= 65535) {
                        port = p;
                    }
                }
            } catch (AssociationException x) {
                c.token = backend.tokenOf(reservation);
                associationFailed(c, x.causeKey(), x.getMessage(), "could not associate this " + c.protocol().id()
                        + " socket with", "association with", "failed, binding without it", null);
                c.state = BindCall.State.AWAITING_JDK_BIND;
            }
        }
        c.token = backend.tokenOf(reservation);
        if (c.implicit()) {
            // A backend may have bound the socket (Linux); otherwise the port is chosen inside connect(), later.
            int bound = JdkAccess.localPort(c.socketFd());
            if (bound > 0) {
                verdict(c, bound);
            }
            finish(c);
            return c.port();
        }
        s.current = c;
        inFlight.incrementAndGet();
        return port;
    }

    /**
     * Applies {@code onError} to a failed association: {@code fail} records the call, undoes the socket's bind when
     * {@code undo} is set, and throws portres's BindException; {@code continue} warns once per rule and cause and
     * sets the outcome {@code continued}.
     */
    private static void associationFailed(BindCall c, String causeKey, String why, String failVerb,
                                          String continueWhat, String continueHow, FileDescriptor undo)
            throws BindException {
        Engine e = c.engine();
        Rule rule = c.rule();
        Reservation reservation = rule.reservation();
        c.error = why;
        if (rule.effectiveOnError(e.policy().onError()) == OnError.FAIL) {
            if (undo != null) {
                JdkAccess.preClose(undo);
            }
            c.outcome = BindCall.Outcome.FAILED;
            c.boundPort = -1;
            finish(c);
            e.log().errorAsync("rule '" + rule.name() + "' refused a " + describe(c) + ": " + why);
            throw new BindException("portres: rule '" + rule.name() + "' " + failVerb + " reservation '"
                    + reservation.name() + "' (" + reservation.describe() + "): " + why);
        }
        c.outcome = BindCall.Outcome.CONTINUED;
        e.log().warnOnce("continue:" + rule.name() + ":" + causeKey, "rule '" + rule.name() + "': " + continueWhat
                + " reservation '" + reservation.name() + "' (" + reservation.describe() + ") " + continueHow
                + " (onError: continue); this warning is shown once per cause: " + why);
    }

    /**
     * In place of the JDK's native bind call, while a matched bind is in flight on some thread: makes the native
     * bind of this thread's matched bind (the backend's, or the JDK's own as decided), then reads the bound port back
     * from the OS and gives the verdict. Returns false to let the bridge make the plain native bind (no matched bind
     * on this thread); true when the bind was made here (or the deliberate BindException of {@code onError: fail}
     * was thrown).
     */
    public static boolean nativeBind(final int site, final Object self, final FileDescriptor fd,
                                     final boolean preferIPv6, final boolean exclusive, final InetAddress address,
                                     int port) throws IOException {
        Scratch s = SCRATCH.get();
        BindCall c = s.current;
        if (c == null || s.busy || (c.state != BindCall.State.AWAITING_JDK_BIND
                && c.state != BindCall.State.AWAITING_BACKEND_BIND)) {
            return false;
        }
        final MethodHandle realBind;
        try {
            realBind = realBind();
        } catch (Throwable unavailable) {
            return false; // the bridge binds; after() gives the verdict without being able to refuse the bind
        }
        ReservationBackend.NativeBind call = new ReservationBackend.NativeBind() {
            @Override
            public void bind(int p) throws IOException {
                try {
                    realBind.invokeExact(site, self, fd, preferIPv6, exclusive, address, p);
                } catch (IOException | RuntimeException | Error x) {
                    throw x;
                } catch (Throwable t) {
                    throw new IOException(t);
                }
            }
        };
        Engine e = c.engine();
        s.busy = true;
        try {
            if (c.state == BindCall.State.AWAITING_BACKEND_BIND) {
                c.state = BindCall.State.BACKEND_BINDING;
                try {
                    e.backend().bindInReservation(c, call);
                } catch (AssociationException x) {
                    s.current = null;
                    c.state = BindCall.State.AWAITING_JDK_BIND;
                    try {
                        associationFailed(c, x.causeKey(), x.getMessage(), "could not bind this "
                                + c.protocol().id() + " socket in", "could not bind in", "binding as requested",
                                null);
                    } catch (BindException deliberate) {
                        inFlight.decrementAndGet();
                        throw deliberate;
                    }
                    s.current = c;
                    bindAsRequested(c, self, x, call, port);
                }
            } else {
                call.bind(port);
            }
            c.state = BindCall.State.BOUND;
            FileDescriptor socket = c.socketFd();
            int bound = JdkAccess.localPort(socket);
            s.current = null;
            try {
                verdict(c, bound, socket);
            } catch (BindException deliberate) {
                inFlight.decrementAndGet();
                throw deliberate;
            }
            s.current = c;
            return true;
        } finally {
            s.busy = false;
        }
    }

    /**
     * {@code onError: continue} after the backend could not bind in the reservation: the JDK's native bind as
     * requested. A socket the backend left bound (a two-stack socket that the JDK retried elsewhere) stays as it is.
     * A socket that keeps its association (Windows: a full block) is first replaced by a fresh one
     * ({@link FreshSocket}); where that cannot be done safely the bind fails with the JDK's own exception, and the
     * event ({@code failed}) and the log say why.
     */
    private static void bindAsRequested(BindCall c, Object self, AssociationException x,
                                        ReservationBackend.NativeBind call, int port) throws IOException {
        if (JdkAccess.localPort(c.socketFd()) > 0) {
            return;
        }
        IOException associated = x.stillAssociatedFailure();
        if (associated != null) {
            String cannot = FreshSocket.replace(c.socketFd(), c.site() == Sites.NET_BIND ? null : self);
            if (cannot != null) {
                c.outcome = BindCall.Outcome.FAILED;
                c.error = c.error + "; onError: continue could not bind as requested: the socket keeps its"
                        + " association and " + cannot;
                c.engine().log().warnOnce("continue-impossible:" + c.rule().name() + ":" + cannot, "rule '"
                        + c.rule().name() + "': onError: continue could not bind a " + describe(c)
                        + " as requested after its reservation failed, so the bind fails with the JDK's own"
                        + " exception: " + cannot);
                throw associated;
            }
            c.error = c.error + " (the associated socket was replaced by a fresh one, bound as requested)";
        }
        call.bind(port);
    }

    /** The verdict where the bind can no longer be refused (an implicit bind, or a bind seen too late). */
    private static void verdict(BindCall c, int bound) {
        try {
            verdict(c, bound, null);
        } catch (BindException cannotHappen) {
            // only thrown with a socket to undo
        }
    }

    /**
     * The socket's bound port, as the OS reports it, against the reservation: only a port inside the block is
     * {@code associated}. A fixed port outside the block was bound as asked ({@code outside}, warned once); any
     * other port is an association failure, and {@code onError} applies ({@code fail}: the socket's bind is undone
     * and the bind throws, when {@code socket} is given).
     */
    private static void verdict(BindCall c, int bound, FileDescriptor socket) throws BindException {
        c.boundPort = bound;
        if (!c.associationPlanned || c.outcome != null) {
            return; // audited, or continued already: nothing was claimed
        }
        Engine e = c.engine();
        Reservation r = c.reservation();
        if (bound > 0 && e.backend().inBlock(r, bound)) {
            c.outcome = BindCall.Outcome.ASSOCIATED;
            return;
        }
        if (bound > 0 && c.port() != 0 && bound == c.port()) {
            c.outcome = BindCall.Outcome.OUTSIDE;
            e.log().warnOnce("outside:" + c.rule().name() + ":" + c.port(), "rule '" + c.rule().name()
                    + "': a bind to port " + c.port() + " is outside reservation '" + r.name() + "' ("
                    + r.describe() + "); bound as requested, not associated");
            return;
        }
        String why = (bound <= 0 ? "the socket's bound port could not be read back from the OS"
                : "the socket was bound to port " + bound + ", outside the block") + " (requested port " + c.port()
                + "): the association did not take (another agent, a JDK retry or a backend bound it elsewhere)";
        associationFailed(c, bound <= 0 ? "unreadable" : "outside-block", why, "could not keep this "
                        + c.protocol().id() + " socket in", "a socket of", "ended outside the block", socket);
    }

    public static void after(int site, FileDescriptor fd, int boundPort, Throwable failure) {
        if (Discovery.enabled()) {
            Discovery.after(site, fd, boundPort, failure); // discover=<file>: the end of every discovered bind
        }
        Scratch s = SCRATCH.get();
        BindCall c = s.current;
        if (c == null || s.busy) {
            return;
        }
        s.current = null;
        inFlight.decrementAndGet();
        try {
            if (failure != null) {
                if (c.outcome != BindCall.Outcome.FAILED) { // else the dispatcher said why already
                    String why = c.engine().backend().explainBindFailure(c, failure);
                    c.error = why != null ? why : String.valueOf(failure);
                }
                if (c.outcome == null) {
                    c.outcome = BindCall.Outcome.FAILED; // the JDK's own bind failed: the bind threw
                }
                c.boundPort = -1;
            } else if (c.state != BindCall.State.BOUND) {
                notIntercepted(c);
            }
            finish(c);
        } catch (Throwable bug) {
            c.engine().log().agentBug("bind exit hook", bug);
        }
    }

    /** The native bind of a matched bind happened somewhere the dispatcher did not see; judge what is there. */
    private static void notIntercepted(BindCall c) {
        c.engine().log().warnOnce("not-confined:" + c.site(), "the native bind of this JDK's " + describe(c)
                + " path was not intercepted, so the agent could not check the port before the bind returned;"
                + " please report it");
        verdict(c, JdkAccess.localPort(c.socketFd()));
    }

    /** A call whose exit hook never ran: recorded at this thread's next matched bind. */
    private static void finishUnreported(Scratch s) {
        BindCall c = s.current;
        s.current = null;
        inFlight.decrementAndGet();
        if (c.state != BindCall.State.BOUND) {
            notIntercepted(c);
        }
        finish(c);
    }

    /** Records the call and releases its engine. */
    private static void finish(BindCall c) {
        if (c.state == BindCall.State.FINISHED) {
            return;
        }
        c.state = BindCall.State.FINISHED;
        if (c.outcome == null) {
            // associated but not judged: an implicit bind whose port is chosen inside connect()
            c.outcome = BindCall.Outcome.ASSOCIATED;
        }
        try {
            c.engine().record(c);
        } finally {
            c.engine().release();
        }
    }

    static String describe(BindCall c) {
        String addr = c.address() == null ? "*" : c.address().getHostAddress();
        return c.protocol().id() + " bind " + (c.implicit() ? "(implicit, before connect)" : addr + ":" + c.port());
    }
}
