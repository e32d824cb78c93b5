package io.portres.agent;

import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.EventLog;
import io.portres.agent.match.PolicyMatcher;
import io.portres.policy.Mode;
import io.portres.policy.Policy;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One policy in force: its matcher, backend, log and event log. Immutable; a reload builds a new one and swaps it
 * in atomically, so a bind sees either the old policy or the new one, never a mix.
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
    static final String[] COUNTERS = {"matched", "associated", "audited", "failed", "continued"};

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
    public void noRuleMatched(BindAttempt a) {
        String[] frames = a.walkedFrames();
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

    /** The info line and the event of a decided bind. {@code boundPort} -1 = not bound (failed or implicit). */
    public void record(BindAttempt a, int boundPort) {
        Rule rule = a.rule();
        counts.incrementAndGet(rule.index() * COUNTERS.length);
        for (int c = 1; c < COUNTERS.length; c++) {
            if (COUNTERS[c].equals(a.outcome)) {
                counts.incrementAndGet(rule.index() * COUNTERS.length + c);
            }
        }
        Reservation r = rule.reservation();
        String address = a.address() == null ? null : a.address().getHostAddress();
        String caller = log.enabled(io.portres.policy.LogLevel.INFO) || events != null ? a.caller() : null;
        if (log.enabled(io.portres.policy.LogLevel.INFO)) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(a.protocol().id()).append(' ');
            if (a.implicit()) {
                sb.append("implicit bind before connect");
            } else {
                sb.append(address == null ? "*" : address).append(':').append(a.port());
                sb.append(boundPort >= 0 ? " -> port " + boundPort : " -> not bound");
            }
            sb.append(": rule '").append(rule.name()).append("', reservation '").append(r.name()).append("' (")
                    .append(r.describe()).append("), ").append(a.outcome);
            if (caller != null) {
                sb.append(", caller ").append(caller);
            }
            if (a.error != null) {
                sb.append(": ").append(a.error);
            }
            log.infoAsync(sb.toString());
        }
        if (events != null) {
            events.submit(EventLog.event(a.startedMillis, Thread.currentThread().getName(), a.protocol().id(),
                    address, a.port(), boundPort, rule.name(), r.name(), a.token, backend.name(), caller,
                    a.outcome, a.error));
        }
    }
}
