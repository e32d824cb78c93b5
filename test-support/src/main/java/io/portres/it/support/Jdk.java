package io.portres.it.support;

/** One JDK of the test matrix: its feature version and the command that runs its {@code java}. */
public final class Jdk {
    public final int feature;
    public final String java;
    /** The JDK's home folder (for tools.jar on 8), or null when unknown. */
    public final String home;

    Jdk(int feature, String java, String home) {
        this.feature = feature;
        this.java = java;
        this.home = home;
    }

    /** A JDK outside the matrix, e.g. the Windows JVM under Wine (io.portres.it.windows.WindowsJvmIT). */
    public static Jdk of(int feature, String java) {
        return new Jdk(feature, java, null);
    }

    @Override
    public String toString() {
        return "JDK " + feature;
    }
}
