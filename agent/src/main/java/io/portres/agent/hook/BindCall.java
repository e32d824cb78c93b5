package io.portres.agent.hook;

import io.portres.agent.jdk.JdkAccess;

import io.portres.agent.Engine;
import io.portres.agent.backend.BindAttempt;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * One matched bind, from the decision to the event: created by {@link BindDispatcher} when a rule matches, owned by
 * the binding thread, and never reused. It holds the {@link Engine} that decided it, so that the association, the
 * native bind, the verdict and the event all use that same engine even when a reload swaps in another one meanwhile
 * (the engine is pinned until {@link State#FINISHED}). Backends see it only as the read-only {@link BindAttempt}.
 */
public final class BindCall implements BindAttempt {

    /** Where the bind is on its way; only the dispatcher moves it forward. */
    public enum State {
        /** The rule matched; the backend is associating. */
        DECIDING,
        /** Decided: the JDK's native bind comes next, with the port the decision returned. */
        AWAITING_JDK_BIND,
        /** Decided: the backend makes the native bind itself ({@code BIND_IN_RESERVATION}). */
        AWAITING_BACKEND_BIND,
        /** The backend is making the native bind. */
        BACKEND_BINDING,
        /** The native bind was made and the socket's bound port read back from the OS. */
        BOUND,
        /** Recorded; the engine is released. */
        FINISHED
    }

    /** The {@code outcome} of the event. */
    public enum Outcome {
        /** The socket's bound port, read back from the OS, is inside the reservation's block. */
        ASSOCIATED("associated"),
        /** Decided and recorded only ({@code mode: audit}, or no backend for this OS). */
        AUDITED("audited"),
        /** The association failed under {@code onError: fail}, or the bind itself failed: the bind threw. */
        FAILED("failed"),
        /** The association failed under {@code onError: continue}: the socket was bound without it. */
        CONTINUED("continued"),
        /** A bind to a fixed port outside the block: bound as asked (warned once), not associated. */
        OUTSIDE("outside");

        private final String id;

        Outcome(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    private final Engine engine;
    private final int site;
    private final Object context;
    private final FileDescriptor fd;
    private final InetAddress address;
    private final int port;
    private final Protocol protocol;
    private final boolean implicit;
    private final Rule rule;
    private final String caller;
    private final String matched;
    private final long startedMillis;
    private int handle = Integer.MIN_VALUE;

    // the dispatcher's state, written only on the binding thread
    State state = State.DECIDING;
    /** The backend associated the socket: the verdict decides whether it is {@link Outcome#ASSOCIATED}. */
    boolean associationPlanned;
    Outcome outcome;
    String error;
    String token;
    int boundPort = -1;

    BindCall(Engine engine, int site, Object context, FileDescriptor fd, InetAddress address, int port,
             Protocol protocol, boolean implicit, Rule rule, String caller, String matched) {
        this.engine = engine;
        this.site = site;
        this.context = context;
        this.fd = fd;
        this.address = address;
        this.port = port;
        this.protocol = protocol;
        this.implicit = implicit;
        this.rule = rule;
        this.caller = caller;
        this.matched = matched;
        this.startedMillis = System.currentTimeMillis();
    }

    /** The engine that decided this bind, for its whole way. */
    public Engine engine() {
        return engine;
    }

    @Override
    public int site() {
        return site;
    }

    @Override
    public Object context() {
        return context;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public int handle() {
        if (handle == Integer.MIN_VALUE) {
            handle = JdkAccess.handle(socketFd());
        }
        return handle;
    }

    /** The socket's own FileDescriptor: the hook's, or the legacy impl's {@code fd} for sites B and C. */
    FileDescriptor socketFd() {
        return fd != null ? fd : JdkAccess.legacyFd(context);
    }

    @Override
    public InetAddress address() {
        return address;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public boolean implicit() {
        return implicit;
    }

    @Override
    public Rule rule() {
        return rule;
    }

    @Override
    public Reservation reservation() {
        return rule.reservation();
    }

    public State state() {
        return state;
    }

    public Outcome outcome() {
        return outcome;
    }

    public String error() {
        return error;
    }

    public String token() {
        return token;
    }

    /** The port the OS reports the socket bound to; -1 when not bound (failed, or implicit and chosen later). */
    public int boundPort() {
        return boundPort;
    }

    public long startedMillis() {
        return startedMillis;
    }

    /** The nearest class outside the JDK socket code and the agent; null when nobody reads it. */
    public String caller() {
        return caller;
    }

    /** The frame that satisfied the rule's class condition; null when the rule has none. */
    public String matched() {
        return matched;
    }
}
