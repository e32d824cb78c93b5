package io.portres.agent.backend;

import io.portres.agent.hook.JdkAccess;
import io.portres.agent.hook.Sites;
import io.portres.agent.match.StackCapture;
import io.portres.policy.ClassMatcher;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * One bind the dispatcher is deciding, from the hook's arguments to the event. One instance per thread, reused:
 * the unmatched path allocates nothing, and backends must not keep a reference.
 */
public final class BindAttempt {

    /** How many caller frames a class condition may look at. */
    static final int MAX_FRAMES = 128;

    int site;
    Object context;
    FileDescriptor fd;
    InetAddress address;
    int port;
    Protocol protocol;
    boolean implicit;
    Rule rule;
    private String[] frames;
    /** False when {@link #frames} stopped early at a class condition's frame: the rest of the stack is unread. */
    private boolean framesComplete;
    private int handle;

    // state kept between the hook's entry and exit
    public boolean busy;
    public boolean pending;
    public long startedMillis;
    public String outcome;
    public String error;
    public String token;
    /** Set by a backend that bound the socket itself (or -1). */
    public int boundPort;
    /** The backend asked to make the native bind itself; and whether it did. */
    public boolean bindInReservation;
    public boolean nativeBindDone;

    public void reset(int site, Object context, FileDescriptor fd, InetAddress address, int port, Protocol protocol,
                      boolean implicit) {
        this.site = site;
        this.context = context;
        this.fd = fd;
        this.address = address;
        this.port = port;
        this.protocol = protocol;
        this.implicit = implicit;
        this.rule = null;
        this.frames = null;
        this.framesComplete = false;
        this.handle = Integer.MIN_VALUE;
        this.pending = false;
        this.outcome = null;
        this.error = null;
        this.token = null;
        this.boundPort = -1;
        this.bindInReservation = false;
        this.nativeBindDone = false;
    }

    public void setRule(Rule rule) {
        this.rule = rule;
    }

    /** Which hook saw the bind; see {@link Sites}. */
    public int site() {
        return site;
    }

    /**
     * The hook's context object: the {@code ProtocolFamily} of a {@code sun.nio.ch.Net.bind} (site A), the legacy
     * {@code SocketImpl}/{@code DatagramSocketImpl} for sites B and C (a Windows backend finds the second socket of a
     * two-stack impl there), the remote address for an implicit TCP bind.
     */
    public Object context() {
        return context;
    }

    public FileDescriptor fd() {
        return fd;
    }

    /** The OS handle: the SOCKET on Windows, the fd elsewhere; -1 if unknown. */
    public int handle() {
        if (handle == Integer.MIN_VALUE) {
            handle = JdkAccess.handle(fd);
        }
        return handle;
    }

    /** The requested local address; null for an implicit bind (the kernel picks it at connect). */
    public InetAddress address() {
        return address;
    }

    /** The requested local port; 0 for wildcard/ephemeral binds and implicit binds. */
    public int port() {
        return port;
    }

    public Protocol protocol() {
        return protocol;
    }

    /** True for an unbound TCP socket about to connect (rules with {@code implicit: true}). */
    public boolean implicit() {
        return implicit;
    }

    public Rule rule() {
        return rule;
    }

    public Reservation reservation() {
        return rule == null ? null : rule.reservation();
    }

    /** The frames a class condition has read so far (perhaps not the whole stack), or null: never read. */
    public String[] walkedFrames() {
        return frames;
    }

    /** Class names of the frames above the JDK socket code, nearest first; walked once, on first use. */
    public String[] frames() {
        if (frames == null || !framesComplete) {
            frames = StackCapture.callerFrames(MAX_FRAMES);
            framesComplete = true;
        }
        return frames;
    }

    /**
     * Whether a caller frame satisfies {@code classes}: walks the stack only up to the first frame that does (the
     * usual case: the class that opens the socket is near the bind), and keeps what it walked for the caller and for
     * the next rule's condition.
     */
    public boolean anyFrameMatches(ClassMatcher classes) {
        if (frames != null) {
            if (classes.matchesAny(frames)) {
                return true;
            }
            if (framesComplete) {
                return false;
            }
        }
        frames = StackCapture.callerFramesUntil(MAX_FRAMES, classes);
        boolean stopped = frames.length > 0 && classes.matches(frames[frames.length - 1]);
        framesComplete = !stopped;
        return stopped;
    }

    /**
     * The nearest class outside the JDK socket code and the agent, or null. When no class condition walked the stack
     * for this bind, only the frames up to that class are walked (a handful), not {@link #MAX_FRAMES}.
     */
    public String caller() {
        String[] f = frames != null ? frames : StackCapture.callerFrames(1);
        return f.length == 0 ? null : f[0];
    }
}
