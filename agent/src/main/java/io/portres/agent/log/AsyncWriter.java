package io.portres.agent.log;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Takes log lines and events off the binding thread: a bind must not wait for a disk write while it holds the
 * JDK's socket locks. One daemon thread, started on first use, writes everything in the order it was submitted;
 * at JVM shutdown a hook waits (bounded) until it has written what is queued.
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
    /** Run once when the writer thread starts: the agent then registers the shutdown hook that flushes it. */
    private static Runnable onStart;
    /** Set at JVM shutdown once the queue is written: later entries are written on the submitting thread. */
    private static volatile boolean drained;

    private AsyncWriter() {
    }

    public static void submit(Entry e) {
        if (drained) {
            run(e); // the JVM is exiting and the writer has nothing left: write it here, in order
            return;
        }
        if (thread == null && !start()) {
            run(e); // the JVM is exiting (shutdown() came first)
            return;
        }
        UNWRITTEN.incrementAndGet();
        if (!QUEUE.offer(e)) {
            UNWRITTEN.decrementAndGet();
            run(e); // the writer cannot keep up: write on this thread rather than lose the record
        }
    }

    /** Sets what to run when the writer thread starts; runs it now if it has started already. */
    public static synchronized void onStart(Runnable r) {
        onStart = r;
        if (thread != null) {
            r.run();
        }
    }

    /** Starts the writer thread once; false if the JVM is exiting and writes are synchronous already. */
    private static synchronized boolean start() {
        if (drained) {
            return false;
        }
        if (thread != null) {
            return true;
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
        if (onStart != null) {
            onStart.run();
        }
        return true;
    }

    /** Writes what is queued on the calling thread (only when the writer thread is stuck: order may then differ). */
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
     * At JVM shutdown: waits (bounded) for the writer thread to write what is queued, then switches to synchronous
     * writing for binds that still happen while the JVM exits.
     */
    public static void shutdown() {
        synchronized (AsyncWriter.class) {
            if (thread == null) {
                drained = true; // nothing was ever queued: no thread to wait for
                return;
            }
        }
        flush(SHUTDOWN_WAIT_MILLIS);
        drained = true;
    }

    /**
     * Waits, at most {@code timeoutMillis}, until everything submitted so far is written. Only the writer thread
     * writes queued entries, so they reach the file in the order they were submitted (a second thread draining the
     * queue could write a later entry before the one the writer is holding); if the writer is still busy at the
     * deadline, the rest is written here.
     */
    public static void flush(long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (UNWRITTEN.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (UNWRITTEN.get() > 0) {
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
