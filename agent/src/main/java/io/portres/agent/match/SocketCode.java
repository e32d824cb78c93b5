package io.portres.agent.match;

/**
 * Which frames count as "the JDK's socket code and the agent": the frames a class rule looks above, that the event's
 * {@code caller} skips, and that {@code explain} ignores in {@code --class} (one list, so that the two agree).
 *
 * <p>Socket code is what every bind passes through whoever asks for it: the socket and channel classes, their
 * factories and TLS wrappers, the JDK's hooks, and reflection. Everything else, JDK or not, is an application of
 * sockets and can be named by a rule: RMI, JMX, the JDK's HTTP server ({@code sun.net.httpserver}), its HTTP and
 * FTP clients ({@code sun.net.www}, {@code sun.net.ftp}).
 */
public final class SocketCode {

    private static final String[] PREFIXES = {
        "java.net.", "sun.nio.ch.", "java.nio.channels.", "jdk.internal.net.", "jdk.net.",
        "sun.net.NetHooks", "sun.net.PlatformSocketImpl", "sun.net.ResourceManager", "sun.net.sdp.",
        "sun.net.ext.", "sun.net.spi.", "sun.net.NetProperties",
        "javax.net.SocketFactory", "javax.net.ServerSocketFactory", "javax.net.DefaultSocketFactory",
        "javax.net.DefaultServerSocketFactory", "javax.net.ssl.", "sun.security.ssl.",
        "java.lang.invoke.", "java.lang.reflect.", "jdk.internal.reflect.", "sun.reflect.",
        "java.security.AccessController", "io.portres.agent.",
    };

    /** {@link #PREFIXES} by their first character (all ASCII): a frame is checked against a few of them, not all. */
    private static final String[][] BY_FIRST_CHAR = byFirstChar();

    private SocketCode() {
    }

    private static String[][] byFirstChar() {
        String[][] table = new String[128][];
        for (String p : PREFIXES) {
            char c = p.charAt(0);
            String[] old = table[c] == null ? new String[0] : table[c];
            String[] grown = new String[old.length + 1];
            System.arraycopy(old, 0, grown, 0, old.length);
            grown[old.length] = p;
            table[c] = grown;
        }
        return table;
    }

    public static boolean isSocketOrAgentFrame(String className) {
        if (className.isEmpty() || className.charAt(0) >= 128) {
            return false;
        }
        String[] candidates = BY_FIRST_CHAR[className.charAt(0)];
        if (candidates == null) {
            return false;
        }
        for (String p : candidates) {
            if (className.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
