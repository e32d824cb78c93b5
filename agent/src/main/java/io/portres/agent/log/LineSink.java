package io.portres.agent.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A destination for whole lines: standard error or a regular file opened for append. Each line is one
 * {@code write}, so several JVMs appending to one file do not interleave within a line.
 *
 * <p>Two ways in: {@link #write} writes on the calling thread (start-up messages, ordered before the application's
 * first output); {@link #submit} queues a line for this sink's own writer thread and returns at once, whatever the
 * destination does. The queue never blocks and never falls back to the caller's thread: it is bounded by a fixed
 * memory budget ({@link AsyncWriter#BUDGET_BYTES}), and what does not fit is dropped and counted. Each sink
 * has its own thread, so a stalled standard error (a pipe nobody drains) does not hold up the events file.
 *
 * <p>Failures are reported, never thrown: the first dropped line of a run and the first write error (with its cause)
 * are reported once, through the agent's log ({@link AgentLog#report}); once writing works again, the sink writes
 * one summary of what it lost into itself (a log line, or a {@code dropped} event) and the report says it recovered.
 *
 * <p>Standard error is the process's file descriptor 2, not {@code System.err}: an application that redirects
 * {@code System.err} into its own logging must not receive (and possibly re-enter the agent with) our lines.
 */
public final class LineSink {
    private static final Charset UTF8 = Charset.forName("UTF-8");
    /** Longest line written; longer ones are cut (a stack trace, a policy problem quoting a huge value). */
    static final int MAX_LINE_CHARS = 16 * 1024;
    private static final Entry CLOSE = new Entry() {
        @Override
        public String line() {
            return null;
        }

        @Override
        public int weight() {
            return 0;
        }
    };
    private static LineSink stderr;
    /** The open file sinks, by absolute path: {@link #file} shares one per file. */
    private static final java.util.Map<Path, LineSink> OPEN = new java.util.HashMap<Path, LineSink>();

    /** Something to format and write on the writer thread: formatting costs the binding thread nothing. */
    public interface Entry {
        /** The line to write (without its newline), or null to write nothing. Must not throw. */
        String line();

        /** Roughly what this entry holds in memory, in bytes, for the queue's budget. */
        int weight();
    }

    /** What a sink writes into itself once it writes again after losing lines. */
    interface Summary {
        String line(long lost, long sinceMillis, String cause);
    }

    private final String description;
    private final boolean timestamps;
    private final Path path; // null: standard error
    private final long maxBytes; // rotate past this size; 0: never
    private final int keep;
    private final Object writeLock = new Object();
    private OutputStream out;
    private FileChannel channel;
    private boolean streamClosed; // guarded by writeLock

    private final LinkedBlockingQueue<Entry> queue = new LinkedBlockingQueue<Entry>();
    /** Queued and not yet written, including the entry the writer thread is working on. */
    final AtomicInteger unwritten = new AtomicInteger();
    /** What the queued entries hold, against {@link AsyncWriter#BUDGET_BYTES}. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** Lines lost (dropped or failed to write) since the sink last wrote its summary; with when that began. */
    private final AtomicLong lostInRun = new AtomicLong();
    private volatile long lostSinceMillis;
    private volatile String lostCause;
    private volatile String lastError;
    private volatile Summary summary;
    private volatile Thread thread;
    private volatile boolean closed;
    private int refs = 1; // guarded by OPEN: holders of a file sink

    private LineSink(OutputStream out, FileChannel channel, Path path, String description, boolean timestamps,
                     long maxBytes, int keep) {
        this.out = out;
        this.channel = channel;
        this.path = path;
        this.description = description;
        this.timestamps = timestamps;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.summary = new Summary() {
            @Override
            public String line(long lost, long sinceMillis, String cause) {
                return (LineSink.this.timestamps ? Iso8601.format(System.currentTimeMillis()) + " " : "")
                        + "[portres] WARN " + lost + " log line(s) were not written since "
                        + Iso8601.format(sinceMillis) + " (" + cause + ")";
            }
        };
    }

    /** The process's standard error (one sink per JVM, never closed). */
    public static synchronized LineSink stderr() {
        if (stderr == null) {
            stderr = new LineSink(new FileOutputStream(FileDescriptor.err), null, null, "standard error", false, 0,
                    0);
        }
        return stderr;
    }

    /** A sink on any stream, for tests: no rotation, {@code description} names it in reports. */
    static LineSink of(OutputStream out, String description) {
        return new LineSink(out, null, null, description, false, 0, 0);
    }

    /** Opens {@code path} for append without a size cap; see {@link #file(Path, boolean, long, int)}. */
    public static LineSink file(Path path, boolean timestamps) throws IOException {
        return file(path, timestamps, 0, 0);
    }

    /**
     * Opens (creating parent folders) a regular file for append, safely for a JVM running as root: see
     * {@link SafeFiles#checkWritable}. Once the file would grow past {@code maxBytes} (0: never), it is renamed to
     * {@code <name>.1} ({@code .1} to {@code .2}, and so on up to {@code keep} old files) and a new one is started.
     *
     * @throws IOException with a message fit for the user (what is wrong and what to do) if it cannot be written
     */
    public static LineSink file(Path path, boolean timestamps, long maxBytes, int keep) throws IOException {
        Path p = path.toAbsolutePath().normalize();
        int k = Math.max(keep, 1);
        synchronized (OPEN) {
            LineSink open = OPEN.get(p);
            // one sink per file in this JVM (a reload keeping its log file shares it): one writer, one rotation
            if (open != null && open.timestamps == timestamps && open.maxBytes == maxBytes && open.keep == k) {
                open.refs++;
                return open;
            }
            FileChannel ch = SafeFiles.openAppend(p);
            LineSink sink = new LineSink(Channels.newOutputStream(ch), ch, p, p.toString(), timestamps, maxBytes, k);
            OPEN.put(p, sink);
            return sink;
        }
    }

    public boolean timestamps() {
        return timestamps;
    }

    public String description() {
        return description;
    }

    /** Lines this sink dropped or failed to write since it was opened. */
    public long dropped() {
        return dropped.get();
    }

    /** The last write error (with its cause) if the last write failed, else null. */
    public String lastError() {
        return lastError;
    }

    /** Sets what this sink writes into itself after losing lines (the events file writes a JSON object). */
    void summary(Summary s) {
        summary = s;
    }

    /** Writes now, on the calling thread. Never throws: an error is reported once and the line counted as lost. */
    public void write(String line) {
        writeLine(line);
    }

    /**
     * Queues {@code e} for this sink's writer thread and returns at once; when the queue's memory budget is spent
     * (the destination is slower than the lines come, or stalled), the entry is dropped and counted.
     */
    public void submit(Entry e) {
        int w = e.weight();
        if (closed || !AsyncWriter.reserve(queuedBytes, w)) {
            lost(closed ? "the sink was closed" : "the writer could not keep up; the queue was full");
            return;
        }
        if (thread == null) {
            start();
        }
        unwritten.incrementAndGet();
        queue.add(e);
    }

    /**
     * Writes what is queued, then closes the file (standard error stays open) once every holder has closed it (see
     * {@link #file}). Returns at once: the writer thread finishes the queue; lines submitted afterwards are dropped and
     * counted.
     */
    public void close() {
        if (this == stderr) {
            return;
        }
        if (path != null) {
            synchronized (OPEN) {
                if (--refs > 0) {
                    return; // another holder (the engine of a reload) still writes here
                }
                if (OPEN.get(path) == this) {
                    OPEN.remove(path);
                }
            }
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (thread != null) {
                queue.add(CLOSE);
                return;
            }
        }
        closeStream();
    }

    private synchronized void start() {
        if (thread != null || closed) {
            return;
        }
        Thread t = io.portres.agent.Privileges.thread(new Runnable() {
            @Override
            public void run() {
                writerLoop();
            }
        }, "portres-writer", true);
        AsyncWriter.started(this);
        t.start();
        thread = t;
    }

    private void writerLoop() {
        try {
            for (;;) {
                Entry e;
                try {
                    e = queue.take();
                } catch (InterruptedException stop) {
                    return;
                }
                if (e == CLOSE) {
                    closeStream();
                    return;
                }
                try {
                    String line;
                    try {
                        line = e.line();
                    } catch (Throwable bug) {
                        line = null; // a formatting bug must not kill the writer thread
                    }
                    if (line != null) {
                        writeLine(line);
                    }
                } finally {
                    AsyncWriter.release(queuedBytes, e.weight());
                    unwritten.decrementAndGet();
                }
            }
        } finally {
            AsyncWriter.stopped(this);
        }
    }

    private void lost(String cause) {
        dropped.incrementAndGet();
        AsyncWriter.countDropped();
        if (lostInRun.getAndIncrement() == 0) {
            lostSinceMillis = System.currentTimeMillis();
            lostCause = cause;
            AgentLog.report(this, "cannot keep up writing to " + description + " (" + cause + "): lines are dropped"
                    + " and counted until it catches up");
        }
    }

    private void writeLine(String line) {
        if (line.length() > MAX_LINE_CHARS) {
            line = line.substring(0, MAX_LINE_CHARS) + "... (cut)";
        }
        byte[] bytes = (line + "\n").getBytes(UTF8);
        synchronized (writeLock) {
            if (streamClosed) {
                return;
            }
            try {
                if (out == null) { // a rotation could not open the new file: try again
                    channel = SafeFiles.openAppend(path);
                    out = Channels.newOutputStream(channel);
                }
                rotateIfNeeded(bytes.length);
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                failed(e);
                return;
            }
            boolean wasFailing = lastError != null;
            lastError = null;
            long lost = lostInRun.get();
            // the summary comes once the writer has caught up (nothing else queued), after the lines it kept
            if (lost > 0 && summary != null && unwritten.get() <= 1) {
                String s = summary.line(lost, lostSinceMillis, lostCause);
                lostInRun.addAndGet(-lost);
                try {
                    out.write((s + "\n").getBytes(UTF8));
                    out.flush();
                } catch (IOException e) {
                    failed(e);
                    return;
                }
                AgentLog.report(this, "writing to " + description + " again; " + lost + " line(s) were lost");
            } else if (wasFailing) {
                AgentLog.report(this, "writing to " + description + " again");
            }
        }
    }

    /** Called with the write lock held. The line is counted as lost; the error reported once per cause. */
    private void failed(IOException e) {
        String cause = e.getMessage() != null ? e.getMessage() : e.toString();
        boolean first = !cause.equals(lastError);
        lastError = cause;
        dropped.incrementAndGet();
        AsyncWriter.countDropped();
        if (lostInRun.getAndIncrement() == 0) {
            lostSinceMillis = System.currentTimeMillis();
            lostCause = "write error: " + cause;
        }
        if (first) {
            AgentLog.report(this, "cannot write to " + description + ": " + cause + "; lines are counted as lost"
                    + " until a write succeeds");
        }
    }

    private void rotateIfNeeded(int next) throws IOException {
        if (maxBytes <= 0 || channel == null) {
            return;
        }
        long size = channel.size(); // the file's size now: other JVMs may append to it too
        if (size == 0 || size + next <= maxBytes) {
            return;
        }
        channel.close();
        out = null;
        channel = null;
        for (int i = keep - 1; i >= 1; i--) {
            Path from = rotated(i);
            if (Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) { // another JVM may have rotated it already
            Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        }
        channel = SafeFiles.openAppend(path);
        out = Channels.newOutputStream(channel);
    }

    private Path rotated(int n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    private void closeStream() {
        synchronized (writeLock) {
            streamClosed = true;
            if (out == null) {
                return;
            }
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing left to tell it
            }
            out = null;
            channel = null;
        }
    }

}
