package io.portres.it.apps;

/** Does nothing and exits: the JVM is gone as soon as the agent's premain has returned. */
public final class ExitAtOnce {
    public static void main(String[] args) {
        System.out.println("OK");
    }
}
