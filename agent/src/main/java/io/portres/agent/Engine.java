package io.portres.agent;

import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.hook.BindCall;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.EventLog;
import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Mode;
import io.portres.policy.Policy;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One policy in force: its matcher, backend, log and event log. Immutable; a reload builds a new one completely and
 * swaps it in atomically, so a bind sees either the old policy or the new one, never a mix.
 *
 * <p>Lifecycle: each matched bind pins the engine that decided it ({@link #enter}) until its event is recorded
 * ({@link #release}). A reload {@link #retire}s the old engine (no new bind can pin it, and the retiring thread waits
 * until the binds it decided are done), then {@link #close}s it: its sinks, unless the new engine took them over,
 * and its backend, which releases what the new one did not take over.
 */
public final class Engine {

    private final Policy policy;
    private final PolicyMatcher matcher;
    private final ReservationBackend backend;
    private final AgentLog log;
    private final EventLog events; // null: log.events not set
    private final boolean audit;
    /** Per rule (by index): matched, associated, audited, failed, continued. */
    private final AtomicLongArray counts;
    static final String[] COUNTERS = {"matched", "associated", "audited", "failed", "continued", "outside"};
    /** Binds decided by this engine and not yet recorded. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean retired;
    private volatile boolean closed;

    public Engine(Policy policy, ReservationBackend backend, AgentLog log, EventLog events) {
        this.policy = policy;
        this.matcher = new PolicyMatcher(policy);
        this.backend = backend;
        this.log = log;
        this.events = events;
        this.audit = policy.mode() == Mode.AUDIT || "audit".equals(backend.name());
        this.counts = new AtomicLongArray(policy.rules().size() * COUNTERS.length);
    }

    /** Class names of frames of binds that reached a class condition and matched no rule (bounded). */
    private final java.util.Set<String> unmatchedFrames = java.util.Collections.newSetFromMap(
            new java.util.concurrent.ConcurrentHashMap<String, Boolean>());
    private static final int MAX_UNMATCHED_FRAMES = 4096;

    /**
     * A candidate bind that no rule matched: keeps the frames a class condition read, for the hints of
     * {@link UnmatchedRules}. Nothing for binds whose stack was not read.
     */
    public void noRuleMatched(String[] frames) {
        if (frames == null) {
            return;
        }
        for (String f : frames) {
            if (unmatchedFrames.size() >= MAX_UNMATCHED_FRAMES) {
                return;
            }
            unmatchedFrames.add(f);
        }
    }

    /** See {@link #noRuleMatched}. */
    public java.util.Set<String> unmatchedFrames() {
        return unmatchedFrames;
    }

    /** How many binds rule {@code ruleIndex} saw with this outcome ("matched" counts them all). */
    public long count(int ruleIndex, String counter) {
        for (int c = 0; c < COUNTERS.length; c++) {
            if (COUNTERS[c].equals(counter)) {
                return counts.get(ruleIndex * COUNTERS.length + c);
            }
        }
        throw new IllegalArgumentException(counter);
    }

    public EventLog events() {
        return events;
    }

    public Policy policy() {
        return policy;
    }

    public PolicyMatcher matcher() {
        return matcher;
    }

    public ReservationBackend backend() {
        return backend;
    }

    public AgentLog log() {
        return log;
    }

    /** True when decisions are recorded only: {@code mode: audit}, or no backend for this OS. */
    public boolean audit() {
        return audit;
    }

    /**
     * Pins this engine for one bind. False when it is retired: the caller must take the engine in force instead.
     * Every true is paired with one {@link #release}.
     */
    public boolean enter() {
        inFlight.incrementAndGet();
        if (retired) {
            release();
            return false;
        }
        return true;
    }

    /** The bind pinned by {@link #enter} is recorded. */
    public void release() {
        if (inFlight.decrementAndGet() == 0 && retired) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Binds decided by this engine and not finished yet. */
    public int inFlight() {
        return inFlight.get();
    }

    public boolean retired() {
        return retired;
    }

    /**
     * No bind may pin this engine from now on; waits, at most {@code timeoutMillis}, until the binds it decided are
     * recorded. Returns whether none is left (the engine can then be {@link #close}d).
     */
    public boolean retire(long timeoutMillis) {
        retired = true;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (this) {
            while (inFlight.get() > 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return inFlight.get() == 0;
                }
            }
        }
        return true;
    }

    /**
     * Releases what this engine holds: stops its backend and closes its log and events (each file stays open while
     * another engine also holds it, and is closed by the writer thread after what was queued for it). Once only.
     */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            backend.stop();
        } catch (Throwable t) {
            log.agentBug("stopping the backend of a replaced policy", t);
        }
        log.close();
        if (events != null) {
            events.close();
        }
    }

    /** The info line and the event of a decided bind. */
    public void record(BindCall c) {
        Rule rule = c.rule();
        String outcome = c.outcome().id();
        int boundPort = c.boundPort();
        counts.incrementAndGet(rule.index() * COUNTERS.length);
        for (int i = 1; i < COUNTERS.length; i++) {
            if (COUNTERS[i].equals(outcome)) {
                counts.incrementAndGet(rule.index() * COUNTERS.length + i);
            }
        }
        Reservation r = rule.reservation();
        String address = c.address() == null ? null : c.address().getHostAddress();
        String caller = c.caller();
        if (log.enabled(io.portres.policy.LogLevel.INFO)) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(c.protocol().id()).append(' ');
            if (c.implicit()) {
                sb.append("implicit bind before connect");
                if (boundPort >= 0) {
                    sb.append(" -> port ").append(boundPort);
                }
            } else {
                sb.append(address == null ? "*" : address).append(':').append(c.port());
                sb.append(boundPort >= 0 ? " -> port " + boundPort : " -> not bound");
            }
            sb.append(": rule '").append(rule.name()).append("', reservation '").append(r.name()).append("' (")
                    .append(r.describe()).append("), ").append(outcome);
            if (caller != null) {
                sb.append(", caller ").append(caller);
            }
            if (c.matched() != null && !c.matched().equals(caller)) {
                sb.append(", matched ").append(c.matched());
            }
            if (c.error() != null) {
                sb.append(": ").append(c.error());
            }
            log.infoAsync(sb.toString());
        }
        if (events != null) {
            events.submit(EventLog.event(c.startedMillis(), Thread.currentThread().getName(), c.protocol().id(),
                    address, c.port(), boundPort, rule.name(), r.name(), c.token(), backend.name(), caller,
                    outcome, c.error(), c.matched()));
        }
    }

    /** Whether a bind's caller is read: for the info line or the event. */
    public boolean wantsCaller() {
        return events != null || log.enabled(io.portres.policy.LogLevel.INFO);
    }
}
