package io.portres.bench.empty;

import java.lang.instrument.Instrumentation;

/** An agent that does nothing: the floor of what any {@code -javaagent} adds to start-up. */
public final class EmptyAgent {

    private EmptyAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        // nothing
    }
}
