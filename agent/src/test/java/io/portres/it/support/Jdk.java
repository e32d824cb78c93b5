package io.portres.it.support;

/** One JDK of the test matrix: its feature version and the command that runs its {@code java}. */
public final class Jdk {
    public final int feature;
    public final String java;

    Jdk(int feature, String java) {
        this.feature = feature;
        this.java = java;
    }

    @Override
    public String toString() {
        return "JDK " + feature;
    }
}
