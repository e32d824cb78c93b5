package io.portres.agent;

import java.net.URL;
import java.security.AccessController;
import java.security.AllPermission;
import java.security.PrivilegedAction;
import java.security.PrivilegedExceptionAction;

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
     * and the grant line to add to the policy.
     */
    static String missingAllPermission(final SecurityManager sm) {
        if (sm == null) {
            return null;
        }
        String denied;
        try {
            AccessController.doPrivileged(new PrivilegedAction<Void>() {
                @Override
                public Void run() {
                    sm.checkPermission(new AllPermission()); // only the agent's own domain is on trial here
                    return null;
                }
            });
            return null;
        } catch (SecurityException e) {
            denied = e.getMessage();
        }
        String codeBase = codeBase();
        String policy = policyFile();
        return "portres cannot enforce under this SecurityManager (" + sm.getClass().getName() + "): the agent jar "
                + (codeBase == null ? "" : codeBase + " ") + "lacks java.security.AllPermission (" + denied + ");"
                + " add grant codeBase \"" + (codeBase == null ? "file:<path of portres-agent.jar>" : codeBase)
                + "\" { permission java.security.AllPermission; }; to " + policy;
    }

    /** The agent jar's code source as the policy names it ({@code file:/.../portres-agent.jar}), or null. */
    private static String codeBase() {
        try {
            return AccessController.doPrivileged(new PrivilegedExceptionAction<String>() {
                @Override
                public String run() {
                    URL location = Privileges.class.getProtectionDomain().getCodeSource().getLocation();
                    return location.toString();
                }
            });
        } catch (Exception | Error deniedOrNone) {
            // getProtectionDomain is itself a permission: the class file's URL names the jar too
        }
        try {
            URL self = Privileges.class.getResource("Privileges.class");
            String s = self == null ? null : self.toString();
            if (s != null && s.startsWith("jar:") && s.indexOf("!/") > 0) {
                return s.substring("jar:".length(), s.indexOf("!/"));
            }
        } catch (RuntimeException denied) {
            // no name then
        }
        return null;
    }

    /** Where the policy comes from, as well as the agent may tell. */
    private static String policyFile() {
        try {
            String p = AccessController.doPrivileged(new PrivilegedAction<String>() {
                @Override
                public String run() {
                    return System.getProperty("java.security.policy");
                }
            });
            if (p != null && !p.isEmpty()) {
                return p.startsWith("=") ? p.substring(1) : p; // -Djava.security.policy==<file>: that file alone
            }
        } catch (SecurityException denied) {
            // the generic answer below
        }
        return "the policy file (-Djava.security.policy, or java.policy)";
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
