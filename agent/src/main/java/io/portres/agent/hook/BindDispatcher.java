package io.portres.agent.hook;

import io.portres.agent.Engine;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.discover.Discovery;
import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.OnError;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The target of the bridge's method handles: from a hooked JDK bind to a decision, the backend's association, the
 * log line and the event.
 *
 * <p>Hot path discipline: an unmatched bind returns after {@link PolicyMatcher#mayMatch} (array reads and address
 * compares); nothing on that path allocates, walks the stack or touches a ThreadLocal. Everything below the
 * candidate check runs under a per-thread re-entrancy guard, catches every Throwable, and only lets the deliberate
 * {@link BindException} of {@code onError: fail} escape.
 */
public final class BindDispatcher {

    private static volatile Engine engine;
    private static AtomicInteger inFlight = new AtomicInteger(); // replaced by the bridge's counter at install
    /** The bridge's {@code realBind}: the JDK's own native bind of a site. */
    private static volatile MethodHandle realBind;

    private static final ThreadLocal<BindAttempt> CURRENT = new ThreadLocal<BindAttempt>() {
        @Override
        protected BindAttempt initialValue() {
            return new BindAttempt();
        }
    };

    private BindDispatcher() {
    }

    /**
     * Connects the bridge to this class. Called once, after the bridge was defined. The bridge builds its handles
     * on {@link #before}, {@link #after} and {@link #nativeBind} itself, when first needed.
     */
    public static void connect(Class<?> bridge) throws Exception {
        bridgeClass = bridge;
        inFlight = (AtomicInteger) bridge.getField("IN_FLIGHT").get(null);
        bridge.getField("dispatcher").set(null, BindDispatcher.class);
    }

    private static volatile Class<?> bridgeClass;

    /** The bridge's {@code realBind}, built at the first bind a backend makes itself. */
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

    /** Installs or replaces the policy in force; binds already decided are not affected. */
    public static void setEngine(Engine e) {
        engine = e;
    }

    public static Engine engine() {
        return engine;
    }

    public static int before(int site, Object context, FileDescriptor fd, InetAddress address, int port)
            throws BindException {
        if (Discovery.enabled()) {
            Discovery.before(site, context, fd, address, port); // discover=<file>: records every bind, changes none
        }
        Engine e = engine;
        if (e == null) {
            return port;
        }
        PolicyMatcher m = e.matcher();
        Protocol protocol;
        boolean implicit = false;
        switch (site) {
            case Sites.NET_BIND:
                if (!m.mayMatchEither(address, port)) {
                    return port;
                }
                protocol = null; // learnt from the socket below, only for candidates
                break;
            case Sites.LEGACY_TCP_BIND:
                protocol = Protocol.TCP;
                if (!m.mayMatch(protocol, address, port)) {
                    return port;
                }
                break;
            case Sites.LEGACY_UDP_BIND:
                protocol = Protocol.UDP;
                if (!m.mayMatch(protocol, address, port)) {
                    return port;
                }
                break;
            case Sites.IMPLICIT_TCP_ON_CONNECT: // JDK 26+: any connect; only an unbound TCP socket binds implicitly
                if (!m.hasImplicitRules() || JdkAccess.protocolOf(fd) != Protocol.TCP || JdkAccess.localPort(fd) != 0) {
                    return port;
                }
                site = Sites.IMPLICIT_TCP;
                protocol = Protocol.TCP;
                implicit = true;
                break;
            case Sites.IMPLICIT_TCP:
                if (!m.hasImplicitRules()) {
                    return port;
                }
                protocol = Protocol.TCP;
                implicit = true;
                break;
            default:
                return port;
        }
        BindAttempt a = CURRENT.get();
        if (a.busy) {
            return port; // a bind made by the agent's own work (or a backend): never decide recursively
        }
        a.busy = true;
        try {
            if (a.pending) {
                finish(e, a, -1, null); // defensive: an exit hook that never ran
            }
            if (protocol == null) {
                protocol = JdkAccess.protocolOf(fd);
                if (protocol == null) {
                    return port; // SCTP, or a socket we cannot read
                }
            }
            a.reset(site, context, fd, address, port, protocol, implicit);
            Rule rule = implicit ? m.matchImplicit(FRAMES) : m.match(protocol, address, port, FRAMES);
            if (rule == null) {
                e.noRuleMatched(a); // the frames a class condition read, for the never-matched report's hints
                return port;
            }
            a.setRule(rule);
            return decide(e, a, rule);
        } catch (BindException deliberate) {
            throw deliberate;
        } catch (Throwable bug) {
            e.log().agentBug("bind hook", bug);
            return port;
        } finally {
            a.busy = false;
        }
    }

    private static final PolicyMatcher.Frames FRAMES = new PolicyMatcher.Frames() {
        @Override
        public String[] frames() {
            return CURRENT.get().frames();
        }

        @Override
        public boolean anyMatches(io.portres.policy.ClassMatcher classes) {
            return CURRENT.get().anyFrameMatches(classes);
        }
    };

    private static int decide(Engine e, BindAttempt a, Rule rule) throws BindException {
        ReservationBackend backend = e.backend();
        Reservation reservation = rule.reservation();
        a.startedMillis = System.currentTimeMillis();
        int port;
        if (e.audit()) {
            port = a.port();
            a.outcome = "audited";
        } else {
            try {
                port = backend.associate(a);
                a.outcome = "associated";
            } catch (AssociationException x) {
                a.error = x.getMessage();
                if (rule.effectiveOnError(e.policy().onError()) == OnError.FAIL) {
                    a.outcome = "failed";
                    a.token = backend.tokenOf(reservation);
                    e.record(a, -1);
                    e.log().errorAsync("rule '" + rule.name() + "' refused a " + describe(a) + ": " + x.getMessage());
                    throw new BindException("portres: rule '" + rule.name() + "' could not associate this "
                            + a.protocol().id() + " socket with reservation '" + reservation.name() + "' ("
                            + reservation.describe() + "): " + x.getMessage());
                }
                port = a.port();
                a.outcome = "continued";
                e.log().warnOnce("continue:" + rule.name() + ":" + x.causeKey(), "rule '" + rule.name()
                        + "': association with reservation '" + reservation.name() + "' (" + reservation.describe()
                        + ") failed, binding without it (onError: continue); this warning is shown once per cause: "
                        + x.getMessage());
            }
        }
        a.token = backend.tokenOf(reservation);
        if (a.implicit()) {
            e.record(a, a.boundPort); // a backend may have bound it; otherwise the port is chosen inside connect()
            return a.port();
        }
        if (port == ReservationBackend.BIND_IN_RESERVATION) {
            a.bindInReservation = true;
            port = a.port();
        } else if (port < 0 || port > 65535) {
            port = a.port();
        }
        a.pending = true;
        inFlight.incrementAndGet();
        return port;
    }

    /**
     * In place of the JDK's native bind call, while a matched bind is in flight on some thread. Returns false to let
     * the bridge make the plain native bind; true when the backend bound the socket (or the deliberate
     * BindException of {@code onError: fail} was thrown).
     */
    public static boolean nativeBind(final int site, final Object self, final FileDescriptor fd, final boolean preferIPv6,
                              final boolean exclusive, final InetAddress address, int port) throws IOException {
        BindAttempt a = CURRENT.get();
        if (!a.pending || !a.bindInReservation || a.nativeBindDone || a.busy) {
            return false;
        }
        Engine e = engine;
        if (e == null) {
            return false;
        }
        a.nativeBindDone = true;
        final MethodHandle realBind;
        try {
            realBind = realBind();
        } catch (Exception unavailable) {
            return false; // let the bridge make the plain native bind
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
        a.busy = true;
        try {
            e.backend().bindInReservation(a, call);
            return true;
        } catch (AssociationException x) {
            Rule rule = a.rule();
            Reservation reservation = rule.reservation();
            a.error = x.getMessage();
            if (rule.effectiveOnError(e.policy().onError()) == OnError.FAIL) {
                a.outcome = "failed";
                a.pending = false;
                inFlight.decrementAndGet();
                e.record(a, -1);
                e.log().errorAsync("rule '" + rule.name() + "' refused a " + describe(a) + ": " + x.getMessage());
                throw new BindException("portres: rule '" + rule.name() + "' could not bind this "
                        + a.protocol().id() + " socket in reservation '" + reservation.name() + "' ("
                        + reservation.describe() + "): " + x.getMessage());
            }
            a.outcome = "continued";
            e.log().warnOnce("continue:" + rule.name() + ":" + x.causeKey(), "rule '" + rule.name()
                    + "': could not bind in reservation '" + reservation.name() + "' (" + reservation.describe()
                    + "), binding as requested (onError: continue); this warning is shown once per cause: "
                    + x.getMessage());
            call.bind(port);
            return true;
        } finally {
            a.busy = false;
        }
    }

    public static void after(int site, FileDescriptor fd, int boundPort, Throwable failure) {
        if (Discovery.enabled()) {
            Discovery.after(site, fd, boundPort, failure); // discover=<file>: the end of every discovered bind
        }
        BindAttempt a = CURRENT.get();
        if (!a.pending) {
            return;
        }
        Engine e = engine;
        try {
            finish(e, a, boundPort, failure);
        } catch (Throwable bug) {
            if (e != null) {
                e.log().agentBug("bind exit hook", bug);
            }
        }
    }

    private static void finish(Engine e, BindAttempt a, int boundPort, Throwable failure) {
        a.pending = false;
        inFlight.decrementAndGet();
        if (e == null) {
            return;
        }
        if (failure != null) {
            String why = e.backend().explainBindFailure(a, failure);
            a.error = why != null ? why : String.valueOf(failure);
            e.record(a, -1);
            return;
        }
        if (boundPort < 0) {
            boundPort = a.boundPort >= 0 ? a.boundPort : JdkAccess.localPort(a.fd());
        }
        if (a.bindInReservation && !a.nativeBindDone) {
            e.log().warnOnce("not-confined:" + a.site(), "the native bind of this JDK's " + describe(a)
                    + " path was not intercepted, so the backend could not choose the port; please report it");
        }
        e.record(a, boundPort);
    }

    static String describe(BindAttempt a) {
        String addr = a.address() == null ? "*" : a.address().getHostAddress();
        return a.protocol().id() + " bind " + (a.implicit() ? "(implicit, before connect)" : addr + ":" + a.port());
    }

}
