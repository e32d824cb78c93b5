package io.portres.agent.discover;

import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.hook.point.Sites;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.Json;
import io.portres.agent.log.LineSink;
import io.portres.agent.match.StackCapture;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;

import java.io.FileDescriptor;
import java.net.InetAddress;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code discover=<file>} switch: one JSON line per local-port bind of the JVM, whatever the policy says, and
 * nothing changed (the contract is in the README, "The discovery file").
 *
 * <p>Off (the default), it costs nothing: the bridge's candidate bits skip the dispatcher for ports no rule admits,
 * and the dispatcher reads one static field. On, every port is a candidate; the dispatcher calls {@link #before} on
 * entry of each bind (the requested address and port, the binding thread's frames, captured there) and
 * {@link #after} when the native bind returned or threw (the bound port). The record is formatted and written by
 * the discovery file's {@code portres-writer} thread ({@link LineSink#submit}), never on the binding thread.
 *
 * <p>To have the bridge report the end of a bind no rule matched, a discovered bind counts itself in the bridge's
 * {@code IN_FLIGHT} between the two calls, exactly as a matched bind does. A bind that never reaches its exit (the
 * policy refused it before the native bind) is written with its error at the thread's next bind, or at exit.
 */
public final class Discovery {

    /** How many frames a record carries at most (consecutive frames of one class count once). */
    static final int MAX_FRAMES = 32;
    /** What a stack read returns at most, before collapsing repeats. */
    private static final int READ_FRAMES = 128;
    static final String INCOMPLETE = "the bind did not reach the native bind (refused by the policy, or failed"
            + " before it)";

    /** Non-null while discovery is on: every bind is recorded there. */
    private static volatile Discovery active;

    private final LineSink sink;
    private final AtomicInteger inFlight;
    /** Binds between {@link #before} and {@link #after}, per thread; also kept here to write the stale ones at exit. */
    private final ThreadLocal<Record> pending = new ThreadLocal<Record>();
    private final Set<Record> unfinished = Collections.newSetFromMap(new ConcurrentHashMap<Record, Boolean>());
    /** Every class name seen in a record's frames (bounded), for the hints of the never-matched report. */
    private final Set<String> seenClasses = Collections.newSetFromMap(new ConcurrentHashMap<String, Boolean>());
    private static final int MAX_SEEN_CLASSES = 4096;

    Discovery(LineSink sink, AtomicInteger inFlight) {
        this.sink = sink;
        this.inFlight = inFlight;
    }

    /**
     * Turns discovery on: from now on every bind reaching the dispatcher is recorded into {@code sink}.
     * {@code bridge} is the installed bridge class (its {@code IN_FLIGHT} counter), or null in unit tests.
     */
    public static void start(LineSink sink, Class<?> bridge) throws Exception {
        AtomicInteger counter = bridge == null ? new AtomicInteger()
                : (AtomicInteger) bridge.getField("IN_FLIGHT").get(null);
        active = new Discovery(sink, counter);
    }

    /**
     * The policy in force when {@code discover=<file>} is given alone: no reservation, no rule, mode audit, warnings
     * only on standard error. Every bind goes through untouched and is recorded.
     */
    public static Policy policyWithoutRules() {
        try {
            return PolicyLoader.parse("version: 1\nmode: audit\nlog: { level: warn }\n",
                    "(discovery only, no policy)", Paths.get(""));
        } catch (PolicyException e) {
            throw new IllegalStateException("the built-in policy is invalid", e); // a broken build
        }
    }

    /** True while discovery is on. */
    public static boolean enabled() {
        return active != null;
    }

    /** Class names seen in discovered binds (empty when discovery is off). */
    public static Set<String> seenClasses() {
        Discovery d = active;
        return d == null ? Collections.<String>emptySet() : d.seenClasses;
    }

    /** From the dispatcher's entry: captures the bind. Never throws. */
    public static void before(int site, Object context, FileDescriptor fd, InetAddress address, int port) {
        Discovery d = active;
        if (d == null || site < 0 || site > Sites.IMPLICIT_TCP && site != Sites.IMPLICIT_TCP_ON_CONNECT) {
            return;
        }
        try {
            if (site == Sites.IMPLICIT_TCP_ON_CONNECT) {
                // JDK 26+: every connect passes here; only an unbound TCP socket binds implicitly
                if (JdkAccess.protocolOf(fd) != Protocol.TCP || JdkAccess.localPort(fd) != 0) {
                    return;
                }
                site = Sites.IMPLICIT_TCP;
            }
            d.begin(site, fd, address, port);
        } catch (Throwable ignored) {
            // discovery must never change a bind
        }
    }

    /** From the dispatcher's exit: the port bound ({@code -1}: read it from the socket), or the failure. */
    public static void after(int site, FileDescriptor fd, int boundPort, Throwable failure) {
        Discovery d = active;
        if (d == null) {
            return;
        }
        try {
            d.end(fd, boundPort, failure);
        } catch (Throwable ignored) {
            // discovery must never change a bind
        }
    }

    /** At exit: writes the binds that never reached their exit. */
    public static void atExit() {
        Discovery d = active;
        if (d == null) {
            return;
        }
        for (Record r : d.unfinished.toArray(new Record[0])) {
            d.unfinished.remove(r);
            r.fd = null;
            r.error = INCOMPLETE;
            d.submit(r);
        }
    }

    private void begin(int site, FileDescriptor fd, InetAddress address, int port) {
        Thread thread = Thread.currentThread();
        if (thread.getName().startsWith("portres-")) {
            return; // the agent's own threads (its warm-up, a backend): not the application's binds
        }
        Record stale = pending.get();
        if (stale != null) {
            pending.remove();
            finishStale(stale);
        }
        Protocol protocol;
        boolean implicit = site == Sites.IMPLICIT_TCP;
        if (site == Sites.NET_BIND) {
            protocol = JdkAccess.protocolOf(fd);
            if (protocol == null) {
                return; // SCTP, or a socket we cannot read
            }
        } else {
            protocol = site == Sites.LEGACY_UDP_BIND ? Protocol.UDP : Protocol.TCP;
        }
        Record r = new Record();
        r.timeMillis = System.currentTimeMillis();
        r.thread = thread.getName();
        r.protocol = protocol.id();
        r.address = implicit || address == null ? null : address.getHostAddress();
        r.port = implicit ? 0 : port;
        r.implicit = implicit;
        r.frames = collapse(StackCapture.callerFrames(READ_FRAMES), MAX_FRAMES);
        remember(r.frames);
        if (implicit) {
            submit(r); // the kernel picks the port inside connect(), where no hook runs
            return;
        }
        r.fd = fd;
        pending.set(r);
        unfinished.add(r);
        inFlight.incrementAndGet(); // so that the bridge reports the end of this bind to the dispatcher
    }

    private void end(FileDescriptor fd, int boundPort, Throwable failure) {
        Record r = pending.get();
        if (r == null) {
            return;
        }
        pending.remove();
        if (!unfinished.remove(r)) {
            return; // written at exit already
        }
        inFlight.decrementAndGet();
        if (failure != null) {
            r.error = String.valueOf(failure);
        } else {
            FileDescriptor socket = fd != null ? fd : r.fd; // the legacy sites report no descriptor at the exit
            r.boundPort = boundPort >= 0 ? boundPort : socket == null ? -1 : JdkAccess.localPort(socket);
            r.fd = null;
        }
        submit(r);
    }

    private void finishStale(Record r) {
        if (unfinished.remove(r)) {
            inFlight.decrementAndGet();
            r.fd = null;
            r.error = INCOMPLETE;
            submit(r);
        }
    }

    private void submit(Record r) {
        sink.submit(r);
    }

    private void remember(String[] frames) {
        for (String f : frames) {
            if (seenClasses.size() >= MAX_SEEN_CLASSES) {
                return;
            }
            seenClasses.add(f);
        }
    }

    /** Consecutive frames of one class count once (recursion, overloads); then at most {@code max}. */
    static String[] collapse(String[] frames, int max) {
        String[] out = new String[Math.min(max, frames.length)];
        int n = 0;
        for (int i = 0; i < frames.length && n < out.length; i++) {
            if (n == 0 || !frames[i].equals(out[n - 1])) {
                out[n++] = frames[i];
            }
        }
        if (n == out.length) {
            return out;
        }
        String[] r = new String[n];
        System.arraycopy(out, 0, r, 0, n);
        return r;
    }

    /** One discovered bind, captured on the binding thread and formatted on the writer thread. */
    static final class Record implements LineSink.Entry {
        long timeMillis;
        String thread;
        String protocol;
        String address;
        int port;
        int boundPort = -1;
        boolean implicit;
        String[] frames;
        String error;
        /** The socket, between the bind's entry and its exit only (to read the port bound). */
        FileDescriptor fd;

        @Override
        public String line() {
            return toJson();
        }

        @Override
        public int weight() {
            int w = 256 + 2 * ((thread == null ? 0 : thread.length()) + (address == null ? 0 : address.length())
                    + (error == null ? 0 : error.length()));
            for (String f : frames) {
                w += 48 + 2 * f.length();
            }
            return w;
        }

        String toJson() {
            StringBuilder sb = new StringBuilder(256 + 48 * frames.length);
            EventLog.bindFields(sb, timeMillis, thread, protocol, address, port, boundPort);
            sb.append(",\"implicit\":").append(implicit);
            sb.append(",\"frames\":[");
            for (int i = 0; i < frames.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.string(sb, frames[i]);
            }
            sb.append("],\"error\":");
            Json.string(sb, error);
            return sb.append('}').toString();
        }
    }
}
