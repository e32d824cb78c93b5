package io.portres.samples;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** How the sample servers wait: until Ctrl-C, or until standard input ends when it is not a terminal. */
public final class Serve {

    private Serve() {
    }

    /**
     * Blocks until the server should stop. On Ctrl-C (or any other shutdown) it returns too, and the shutdown waits
     * a few seconds for the calling thread, so the caller's clean-up after this call still runs.
     */
    public static void untilStopped() throws InterruptedException {
        final CountDownLatch stop = new CountDownLatch(1);
        final Thread caller = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread("sample-shutdown") {
            @Override
            public void run() {
                stop.countDown();
                try {
                    caller.join(TimeUnit.SECONDS.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        // Reading a terminal would stop a server started in the background (SIGTTIN): only pipes and files are read.
        if (!stdinIsTerminal()) {
            Thread reader = new Thread("sample-stdin") {
                @Override
                public void run() {
                    drain(System.in);
                    stop.countDown();
                }
            };
            reader.setDaemon(true);
            reader.start();
        }
        stop.await();
    }

    private static void drain(InputStream in) {
        byte[] buf = new byte[512];
        try {
            while (in.read(buf) >= 0) {
                // discard: only the end of the input matters
            }
        } catch (IOException e) {
            // a broken standard input ends it just the same
        }
    }

    private static boolean stdinIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22+ returns a console for redirected streams too; Console.isTerminal() tells them apart.
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // before JDK 22, a console means standard input and output are a terminal
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
