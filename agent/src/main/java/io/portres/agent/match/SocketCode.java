package io.portres.agent.match;

/**
 * Which frames count as "the JDK socket code and the agent": the frames a class rule looks above, and that the
 * event's {@code caller} skips. Everything else, JDK or not (RMI, JMX, the HTTP server), is the caller's.
 */
public final class SocketCode {

    private static final String[] PREFIXES = {
        "java.net.", "javax.net.", "sun.net.", "sun.nio.ch.", "java.nio.channels.", "jdk.internal.net.",
        "sun.security.ssl.", "java.lang.invoke.", "java.lang.reflect.", "jdk.internal.reflect.", "sun.reflect.",
        "java.security.AccessController", "io.portres.agent.",
    };

    private SocketCode() {
    }

    public static boolean isSocketOrAgentFrame(String className) {
        for (String p : PREFIXES) {
            if (className.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
