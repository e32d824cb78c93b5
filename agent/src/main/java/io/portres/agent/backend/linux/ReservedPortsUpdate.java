package io.portres.agent.backend.linux;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/**
 * A read-modify-write of {@code net.ipv4.ip_local_reserved_ports}. The kernel has no add or remove: a write sets the
 * whole list, so two processes adding their blocks at the same time would lose one of them. Every writer of portres
 * (the agent's {@code create: true}, {@code portres reservations create/delete}) therefore changes the list holding
 * an exclusive lock on {@link #LOCK_FILE} ({@code fcntl} record lock through {@link FileChannel#lock}; released by the
 * kernel if the process dies), reads it fresh under the lock, writes, and reads it back until it holds what was
 * written (another tool that does not take the lock may have written in between).
 */
public final class ReservedPortsUpdate {

    /** {@code /run/lock/portres-ip_local_reserved_ports.lock}, or in {@code /tmp} where there is no /run/lock. */
    public static final Path LOCK_FILE = Files.isDirectory(Paths.get("/run/lock"))
            ? Paths.get("/run/lock/portres-ip_local_reserved_ports.lock")
            : Paths.get(System.getProperty("java.io.tmpdir"), "portres-ip_local_reserved_ports.lock");
    static final long WAIT_MILLIS = 10000;
    private static final int ATTEMPTS = 3;
    /** Threads of one JVM: a file lock is per process (a second lock() in the same JVM would throw). */
    private static final Object MONITOR = new Object();

    /** The change to make to the list as it is now. */
    public interface Change {
        PortRanges apply(PortRanges now);
    }

    private ReservedPortsUpdate() {
    }

    /**
     * Applies {@code change} to the list in {@code file} under the lock and returns the list as read back. Calls
     * {@code onWait} once if another process holds the lock; gives up after ten seconds.
     *
     * @throws IOException when the list cannot be read or written, or the lock is not released in time
     */
    public static PortRanges apply(Path file, Change change, Runnable onWait) throws IOException {
        synchronized (MONITOR) {
            FileChannel channel = openLock();
            try {
                FileLock lock = channel == null ? null : acquire(channel, onWait);
                try {
                    PortRanges now = read(file);
                    for (int attempt = 1; ; attempt++) {
                        PortRanges wanted = change.apply(now);
                        if (wanted.equals(now)) {
                            return now;
                        }
                        // "\n": the kernel ignores a write of zero bytes, and an empty line clears the list
                        Files.write(file, (wanted + "\n").getBytes(StandardCharsets.US_ASCII));
                        now = read(file);
                        if (now.equals(wanted) || attempt == ATTEMPTS) {
                            return now;
                        }
                    }
                } finally {
                    if (lock != null) {
                        lock.release();
                    }
                }
            } finally {
                if (channel != null) {
                    channel.close();
                }
            }
        }
    }

    /** The lock file, or null when it cannot be opened (not root: then the write is refused as well). */
    private static FileChannel openLock() {
        try {
            return FileChannel.open(LOCK_FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static FileLock acquire(FileChannel channel, Runnable onWait) throws IOException {
        FileLock lock = channel.tryLock();
        if (lock != null) {
            return lock;
        }
        onWait.run();
        long deadline = System.nanoTime() + WAIT_MILLIS * 1000000L;
        while ((lock = channel.tryLock()) == null) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("another process has held " + LOCK_FILE + " for " + WAIT_MILLIS / 1000
                        + " s while changing net.ipv4.ip_local_reserved_ports");
            }
            try {
                Thread.sleep(20); // fcntl has no timed wait; the holder only reads and writes one line
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for " + LOCK_FILE);
            }
        }
        return lock;
    }

    static PortRanges read(Path file) throws IOException {
        try {
            return PortRanges.parse(LinuxBackend.readProc(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": unexpected content: " + e.getMessage());
        }
    }
}
