package io.portres.bench;

import java.net.ServerSocket;

/**
 * The start-up benchmark's application: binds one {@code ServerSocket(0)}, closes it and exits. Prints one line,
 * {@code main=<ns> bound=<ns>}, from {@link System#nanoTime()} (CLOCK_MONOTONIC on Linux, the clock of Python's
 * {@code time.monotonic_ns()}), so that {@code startup.py} can split the wall time into launch-to-main (JVM boot and
 * premain), the bind (which waits for the agent's background init) and exit (shutdown hooks).
 */
public final class TrivialBind {

    private TrivialBind() {
    }

    public static void main(String[] args) throws Exception {
        long main = System.nanoTime();
        ServerSocket s = new ServerSocket(0);
        s.close();
        long bound = System.nanoTime();
        System.out.println("main=" + main + " bound=" + bound);
    }
}
