package io.portres.agent.log;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
    /** Submitted and not yet written, including the entry the writer thread is working on. */
    private static final AtomicInteger UNWRITTEN = new AtomicInteger();
    private static final long SHUTDOWN_WAIT_MILLIS = 2000;
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
        UNWRITTEN.incrementAndGet();
        if (!QUEUE.offer(e)) {
            UNWRITTEN.decrementAndGet();
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
                        Entry e = QUEUE.take();
                        try {
                            AsyncWriter.run(e);
                        } finally {
                            UNWRITTEN.decrementAndGet();
                        }
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

    /** Writes what is queued on the calling thread. */
    private static void drain() {
        Entry e;
        while ((e = QUEUE.poll()) != null) {
            try {
                run(e);
            } finally {
                UNWRITTEN.decrementAndGet();
            }
        }
    }

    /**
     * At JVM shutdown: writes what is queued, waits (bounded) for the entry the writer thread may be holding, and
     * switches to synchronous writing for binds that still happen while the JVM exits.
     */
    public static void shutdown() {
        shuttingDown = true;
        flush(SHUTDOWN_WAIT_MILLIS);
    }

    /** Waits, at most {@code timeoutMillis}, until everything submitted so far is written. */
    public static void flush(long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        drain();
        while (UNWRITTEN.get() > 0 && System.nanoTime() < end) {
            drain();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
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
