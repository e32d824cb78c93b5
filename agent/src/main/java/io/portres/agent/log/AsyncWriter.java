package io.portres.agent.log;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Takes log lines and events off the binding thread: a bind must not wait for a disk write while it holds the
 * JDK's socket locks. One daemon thread, started on first use; a shutdown hook drains what is left.
 */
public final class AsyncWriter {

    /** Something to format and write on the writer thread. */
    public interface Entry {
        void writeTo(); // formats and writes; must not throw
    }

    private static final LinkedBlockingQueue<Entry> QUEUE = new LinkedBlockingQueue<Entry>(100000);
    private static volatile Thread thread;
    private static volatile boolean shuttingDown;

    private AsyncWriter() {
    }

    public static void submit(Entry e) {
        if (shuttingDown) {
            run(e); // the drain may have finished already
            return;
        }
        if (thread == null) {
            start();
        }
        if (!QUEUE.offer(e)) {
            run(e); // the writer cannot keep up: write on this thread rather than lose the record
        }
    }

    private static synchronized void start() {
        if (thread != null) {
            return;
        }
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                for (;;) {
                    try {
                        AsyncWriter.run(QUEUE.take());
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }, "portres-writer");
        t.setDaemon(true);
        t.start();
        thread = t;
    }

    /** Writes everything queued; called by the agent's shutdown hook and by tests. */
    public static void drain() {
        Entry e;
        while ((e = QUEUE.poll()) != null) {
            run(e);
        }
    }

    /** Drains and switches to synchronous writing for the rest of the JVM's life. */
    public static void shutdown() {
        shuttingDown = true;
        drain();
    }

    /** Waits (bounded) until the queue is empty, for the CLI and tests. */
    public static void flush(long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!QUEUE.isEmpty() && System.nanoTime() < end) {
            drain();
        }
    }

    static void run(Entry e) {
        try {
            e.writeTo();
        } catch (Throwable ignored) {
            // a formatting bug must not kill the writer thread
        }
    }
}
