package io.portres.agent.jmx;

import java.util.List;

/**
 * {@code portres:type=Agent}: what the agent is doing, for jconsole, VisualVM or any JMX client. An MXBean, so
 * clients need no portres classes (rules arrive as CompositeData).
 */
public interface AgentMXBean {

    String getPolicyFile();

    String getMode();

    String getBackend();

    /** ISO-8601 time of the last reload attempt, or null. */
    String getLastReload();

    /** The errors of the last reload attempt, or null when it succeeded (or none happened). */
    String getLastReloadError();

    int getReloads();

    /**
     * Log lines and events the agent could not write since the JVM started: dropped because a destination could not
     * keep up (the queue is bounded and never blocks a bind), or lost to write errors.
     */
    long getDroppedLines();

    /** The write errors of the agent's log and events files now, one per failing file ("file: cause"); empty if none. */
    List<String> getOutputErrors();

    /** Per rule: name, reservation and the counts of matched, associated, audited, failed and continued binds. */
    List<RuleStats> getRules();

    /**
     * The rules of the policy in force that matched no bind yet, one line each, with a hint when a similar glob
     * would have matched a frame the agent saw ({@code org.apache.ftpserver.*} against {@code ...ftpserver.**}).
     */
    List<String> getUnmatchedRules();

    /**
     * The start-up self-test: one line per hook point this JDK uses, "A sun.nio.ch.Net.bind: applied, verified by a
     * probe bind" or "...: NOT APPLIED (why)"; a gap leaves the agent inactive (mode {@code inactive}).
     */
    List<String> getHooks();

    /**
     * Reloads the policy file now (what {@code reload=true} does on each change); true when the new policy is in
     * force, false when it was invalid and the running one stays.
     */
    boolean reloadPolicy();

    /** One rule's counters. */
    final class RuleStats {
        private final String name;
        private final String reservation;
        private final long matched;
        private final long associated;
        private final long audited;
        private final long failed;
        private final long continued;

        public RuleStats(String name, String reservation, long matched, long associated, long audited, long failed,
                         long continued) {
            this.name = name;
            this.reservation = reservation;
            this.matched = matched;
            this.associated = associated;
            this.audited = audited;
            this.failed = failed;
            this.continued = continued;
        }

        public String getName() {
            return name;
        }

        public String getReservation() {
            return reservation;
        }

        public long getMatched() {
            return matched;
        }

        public long getAssociated() {
            return associated;
        }

        public long getAudited() {
            return audited;
        }

        public long getFailed() {
            return failed;
        }

        public long getContinued() {
            return continued;
        }
    }
}
