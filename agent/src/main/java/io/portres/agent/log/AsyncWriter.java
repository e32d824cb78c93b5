package io.portres.agent.log;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the sinks' writer threads share: a fixed memory budget per sink for what is queued (a bind must not wait for a
 * disk write while it holds the JDK's socket locks, and a stalled destination must not fill the heap), the count of
 * what was dropped, and the wait for queued lines at JVM shutdown. Each {@link LineSink} has its own queue and daemon
 * thread ({@code portres-writer}), started on first use, and writes its lines in the order they were submitted.
 */
public final class AsyncWriter {

    /**
     * Bytes (roughly) that the entries queued for one sink may hold. A sink has its own budget, so that a stalled
     * events reader does not silence the log that reports it; the agent has at most a few sinks open (log and events,
     * and briefly those of a policy being reloaded).
     */
    static final long BUDGET_BYTES = budget();

    /** {@code portres.writerQueueBytes}, or 1 MiB (also when a SecurityManager denies the agent reading it). */
    private static long budget() {
        try {
            return Long.getLong("portres.writerQueueBytes", 1024L * 1024);
        } catch (SecurityException denied) {
            return 1024L * 1024;
        }
    }
    private static final long SHUTDOWN_WAIT_MILLIS = 2000;
    private static final AtomicLong QUEUED_BYTES = new AtomicLong();
    private static final AtomicLong DROPPED = new AtomicLong();
    /** Sinks whose writer thread runs. */
    private static final CopyOnWriteArrayList<LineSink> SINKS = new CopyOnWriteArrayList<LineSink>();
    /** Run once when the first writer thread starts: the agent then registers the shutdown hook that flushes it. */
    private static Runnable onStart;
    private static boolean anyStarted;

    private AsyncWriter() {
    }

    /** Takes {@code bytes} from {@code queued} (one sink's) if they fit its budget; never blocks. */
    static boolean reserve(AtomicLong queued, int bytes) {
        for (;;) {
            long q = queued.get();
            if (q + bytes > BUDGET_BYTES) {
                return false;
            }
            if (queued.compareAndSet(q, q + bytes)) {
                QUEUED_BYTES.addAndGet(bytes);
                return true;
            }
        }
    }

    static void release(AtomicLong queued, int bytes) {
        queued.addAndGet(-bytes);
        QUEUED_BYTES.addAndGet(-bytes);
    }

    static void countDropped() {
        DROPPED.incrementAndGet();
    }

    /** Lines and events dropped or lost to write errors since the JVM started, all sinks together (the MBean's). */
    public static long dropped() {
        return DROPPED.get();
    }

    /** Bytes held by queued entries now, all sinks together. */
    public static long queuedBytes() {
        return QUEUED_BYTES.get();
    }

    /** The open sinks' write errors now, one per failing sink ("destination: cause"); empty when all write. */
    public static java.util.List<String> writeErrors() {
        java.util.List<String> out = new java.util.ArrayList<String>();
        for (LineSink s : SINKS) {
            String e = s.lastError();
            if (e != null) {
                out.add(s.description() + ": " + e);
            }
        }
        return out;
    }

    static void started(LineSink sink) {
        SINKS.add(sink);
        Runnable r;
        synchronized (AsyncWriter.class) {
            r = anyStarted ? null : onStart;
            anyStarted = true;
        }
        if (r != null) {
            r.run();
        }
    }

    static void stopped(LineSink sink) {
        SINKS.remove(sink);
    }

    /** Sets what to run when the first writer thread starts; runs it now if one has started already. */
    public static void onStart(Runnable r) {
        boolean now;
        synchronized (AsyncWriter.class) {
            onStart = r;
            now = anyStarted;
        }
        if (now) {
            r.run();
        }
    }

    /** At JVM shutdown: waits (bounded) for the writer threads to write what is queued. */
    public static void shutdown() {
        flush(SHUTDOWN_WAIT_MILLIS);
    }

    /**
     * Waits, at most {@code timeoutMillis}, until everything submitted so far is written. Only writer threads write
     * queued entries (a stalled destination keeps its lines; the caller never writes them), so each file has its
     * lines in the order they were submitted.
     */
    public static void flush(long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        // all sinks at once, read again each time: writing one sink can queue a report on another (or start it)
        while (busy()) {
            if (System.nanoTime() >= end) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean busy() {
        for (LineSink s : SINKS) {
            if (s.unwritten.get() > 0) {
                return true;
            }
        }
        return false;
    }
}
