package io.portres.agent.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A destination for whole lines: standard error or a file opened for append. Each line is one {@code write}, so
 * several JVMs appending to one file do not interleave within a line.
 *
 * <p>Standard error is the process's file descriptor 2, not {@code System.err}: an application that redirects
 * {@code System.err} into its own logging must not receive (and possibly re-enter the agent with) our lines.
 */
public final class LineSink {
    private static final Charset UTF8 = Charset.forName("UTF-8");

    private final OutputStream out;
    private final String description;
    private final boolean timestamps;
    private boolean broken;
    private boolean closed;

    private LineSink(OutputStream out, String description, boolean timestamps) {
        this.out = out;
        this.description = description;
        this.timestamps = timestamps;
    }

    public static LineSink stderr() {
        return new LineSink(new FileOutputStream(FileDescriptor.err), "standard error", false);
    }

    /** Opens (creating parent folders) for append; throws if the file cannot be written. */
    public static LineSink file(Path path, boolean timestamps) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return new LineSink(new FileOutputStream(path.toFile(), true), path.toString(), timestamps);
    }

    public boolean timestamps() {
        return timestamps;
    }

    public String description() {
        return description;
    }

    /** Writes now, on the calling thread. Errors are swallowed after the first: logging must never break a bind. */
    public synchronized void write(String line) {
        if (broken || closed) {
            return;
        }
        try {
            out.write((line + "\n").getBytes(UTF8));
            out.flush();
        } catch (IOException e) {
            broken = true;
        }
    }

    /** Closes a file sink (standard error stays open); later writes are dropped. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!"standard error".equals(description)) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing left to write to
            }
        }
    }
}
