package io.portres.agent;

import java.security.AccessController;
import java.security.PrivilegedAction;

/**
 * The agent under a Java SecurityManager (JDK 8 to 23). The agent's classes have the agent jar's protection domain;
 * the agent does its privileged work (files, threads, the JDK internals, JMX) inside
 * {@code AccessController.doPrivileged}, so that the application's frames below an agent call are never checked, and
 * needs {@code AllPermission} for that domain: one {@code grant codeBase "file:<agent jar>"} line in the policy.
 *
 * <p>Without it the agent cannot enforce: it says so once, with the line to add, stands aside (every bind proceeds
 * as without the agent) and lets {@code onPolicyError} decide whether the JVM stops. A manager present at premain
 * is checked there; one installed later (Tomcat installs its own in {@code main}) at the first bind that a rule may
 * match, and by the agent's thread before it registers the MBean.
 */
public final class Privileges {

    /** Told once when the agent finds a manager under which it lacks AllPermission. */
    public interface Refusal {
        void refused(String report);
    }

    private static final Object LOCK = new Object();
    /** The manager checked last (null: none yet); a candidate bind reads only this while the manager stays. */
    private static volatile SecurityManager checked;
    private static volatile boolean refused;
    private static volatile Refusal onRefusal;

    private Privileges() {
    }

    /** What to do once a manager refuses the agent, from now on (at once if one refused it already). */
    public static void onRefusal(Refusal r) {
        onRefusal = r;
    }

    /**
     * True when a SecurityManager is installed under which the agent's protection domain lacks AllPermission: the
     * agent must stand aside. The first call that sees such a manager reports it through {@link #onRefusal}. Costs
     * one call of {@code System.getSecurityManager()} while the manager does not change.
     */
    public static boolean refused() {
        SecurityManager sm = System.getSecurityManager();
        if (sm == checked || refused) {
            return refused;
        }
        String report;
        synchronized (LOCK) {
            if (sm == checked || refused) {
                return refused;
            }
            report = missingAllPermission(sm);
            refused = report != null;
            checked = sm;
        }
        Refusal r = onRefusal;
        if (report != null && r != null) {
            r.refused(report);
        }
        return report != null;
    }

    /**
     * Null when {@code sm} is null or grants the agent jar AllPermission; otherwise the report: what is missing,
     * and the grant line to add to the policy (the trampoline's own check, which the agent's folder carries too).
     */
    static String missingAllPermission(SecurityManager sm) {
        return io.portres.boot.ManagerCheck.missingAllPermission(sm);
    }

    /** Runs {@code action} with the agent's own rights only (the caller's frames are not checked). */
    public static <T> T run(PrivilegedAction<T> action) {
        return System.getSecurityManager() == null ? action.run() : AccessController.doPrivileged(action);
    }

    /**
     * A thread of the agent, created inside doPrivileged: it inherits the agent's access-control context, not that
     * of whichever application thread happened to start it.
     */
    public static Thread thread(final Runnable body, final String name, final boolean daemon) {
        return run(new PrivilegedAction<Thread>() {
            @Override
            public Thread run() {
                Thread t = new Thread(body, name);
                t.setDaemon(daemon);
                return t;
            }
        });
    }
}
