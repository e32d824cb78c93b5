package io.portres.boot;

import java.net.URL;
import java.security.AccessController;
import java.security.AllPermission;
import java.security.PrivilegedAction;

/**
 * A SecurityManager present when the agent starts (JDK 8 to 23) that does not grant the agent jar
 * {@code AllPermission}. The agent's core cannot even be loaded then (creating its class loader is itself a
 * permission), so the trampoline reports it: one line on {@code System.err} naming the grant line to add, then
 * {@code onPolicyError} decides, as for a bad policy: {@code fail} (the default) stops the JVM with status 2,
 * {@code continue} runs the application without the agent. The option is read from the agent's arguments, and from
 * {@code -Dportres.onPolicyError} and {@code PORTRES_ON_POLICY_ERROR} when the manager lets the agent read them.
 * A manager the application installs later is the agent's own business ({@code io.portres.agent.Privileges}).
 */
public final class ManagerCheck {

    private static final int POLICY_ERROR_STATUS = 2;

    private ManagerCheck() {
    }

    /**
     * Null when {@code sm} is null or grants the agent jar AllPermission; otherwise the report: what is missing, and
     * the grant line to add to the policy. Also used by the agent ({@code Privileges}) for a manager installed later:
     * this class is in the jar twice, at the root for the trampoline and in the agent's own folder.
     */
    public static String missingAllPermission(final SecurityManager sm) {
        if (sm == null) {
            return null;
        }
        String denied;
        try {
            AccessController.doPrivileged(new PrivilegedAction<Void>() {
                @Override
                public Void run() {
                    sm.checkPermission(new AllPermission()); // only the agent jar's own domain is on trial here
                    return null;
                }
            });
            return null;
        } catch (SecurityException e) {
            denied = e.getMessage();
        }
        String codeBase = codeBase();
        return "portres cannot enforce under this SecurityManager (" + sm.getClass().getName() + "): the agent jar "
                + (codeBase == null ? "" : codeBase + " ") + "lacks java.security.AllPermission (" + denied + ");"
                + " add grant codeBase \"" + (codeBase == null ? "file:<path of portres-agent.jar>" : codeBase)
                + "\" { permission java.security.AllPermission; }; to " + policyFile();
    }

    /** True when the agent must not start: the report is printed and, under {@code fail}, the JVM is stopping. */
    public static boolean refuses(String agentArgs, boolean attach) {
        SecurityManager sm = System.getSecurityManager();
        String report = missingAllPermission(sm);
        if (report == null) {
            return false;
        }
        boolean stop = !attach && !"continue".equals(onPolicyError(agentArgs));
        String line = "[portres] " + (stop ? "ERROR " : "WARN ") + report
                + (stop ? "; the JVM stops with status 2 (onPolicyError=fail; set onPolicyError=continue to run the"
                        + " application without the agent)"
                        : "; the agent is inactive and every bind proceeds as without it (onPolicyError=continue)");
        System.err.println(line.replace('\n', ' ').replace('\r', ' '));
        System.err.flush();
        if (stop) {
            try {
                System.exit(POLICY_ERROR_STATUS); // code of the application class path has exitVM
            } catch (SecurityException refused) {
                System.err.println("[portres] WARN the SecurityManager does not let the agent stop the JVM either ("
                        + refused.getMessage() + "); the application runs without the agent");
            }
        }
        return true;
    }

    /**
     * {@code onPolicyError} as the agent's options resolve it (agent argument, then system property, then
     * environment), as far as the manager lets the agent read them.
     */
    static String onPolicyError(String agentArgs) {
        if (agentArgs != null) {
            for (String part : agentArgs.split(",")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).trim().equalsIgnoreCase("onPolicyError")) {
                    return part.substring(eq + 1).trim();
                }
            }
        }
        try {
            String v = System.getProperty("portres.onPolicyError");
            if (v != null) {
                return v.trim();
            }
        } catch (SecurityException denied) {
            // then the environment
        }
        try {
            String v = System.getenv("PORTRES_ON_POLICY_ERROR");
            return v == null ? null : v.trim();
        } catch (SecurityException denied) {
            return null;
        }
    }

    /**
     * The agent jar as the policy names it ({@code file:/.../portres-agent.jar}): from this class file's URL
     * ({@code getProtectionDomain} is itself a permission).
     */
    private static String codeBase() {
        try {
            URL self = ManagerCheck.class.getResource("ManagerCheck.class");
            String s = self == null ? null : self.toString();
            if (s != null && s.startsWith("jar:") && s.indexOf("!/") > 0) {
                return s.substring("jar:".length(), s.indexOf("!/"));
            }
        } catch (RuntimeException denied) {
            // no name then
        }
        return null;
    }

    private static String policyFile() {
        try {
            String p = System.getProperty("java.security.policy");
            if (p != null && !p.isEmpty()) {
                return p.startsWith("=") ? p.substring(1) : p; // -Djava.security.policy==<file>: that file alone
            }
        } catch (SecurityException denied) {
            // the generic answer below
        }
        return "the policy file (-Djava.security.policy, or java.policy)";
    }
}
