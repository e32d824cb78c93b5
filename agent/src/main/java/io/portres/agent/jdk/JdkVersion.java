package io.portres.agent.jdk;

/** The running JDK's feature version (8, 11, 17, ...), read without {@code Runtime.version()} (JDK 9+ only). */
public final class JdkVersion {
    public static final int FEATURE = parse(System.getProperty("java.specification.version", "1.8"));

    private JdkVersion() {
    }

    static int parse(String spec) {
        try {
            return spec.startsWith("1.") ? Integer.parseInt(spec.substring(2)) : Integer.parseInt(spec);
        } catch (NumberFormatException e) {
            return 8;
        }
    }
}
