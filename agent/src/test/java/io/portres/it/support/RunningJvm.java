package io.portres.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A forked JVM that keeps running while a test acts on it: its output (stdout and stderr merged), line by line. */
public final class RunningJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<String>();
    private final Thread reader;

    public RunningJvm(ProcessBuilder pb) throws IOException {
        process = pb.redirectErrorStream(true).start();
        process.getOutputStream().close();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        reader = new Thread(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(l);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
    }

    public List<String> lines() {
        synchronized (lines) {
            return new ArrayList<String>(lines);
        }
    }

    public String text() {
        return String.join("\n", lines());
    }

    /** The last {@code fds <n>} line's n (ReloadStress prints them), or -1. */
    public int lastFds() {
        List<String> l = lines();
        for (int i = l.size() - 1; i >= 0; i--) {
            if (l.get(i).startsWith("fds ")) {
                return Integer.parseInt(l.get(i).substring(4).trim());
            }
        }
        return -1;
    }

    /** Waits until the first {@code fds} line, at most 30 s. */
    public void awaitFds() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lastFds() < 0 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    /** Creates {@code stopFile}, waits for the exit and returns the exit status. */
    public int stop(Path stopFile) throws Exception {
        Files.createFile(stopFile);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("did not stop:\n" + text());
        }
        reader.join();
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
