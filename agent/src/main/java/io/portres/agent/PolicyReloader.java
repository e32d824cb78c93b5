package io.portres.agent;

import io.portres.agent.backend.Backends;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.hook.BindDispatcher;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.Iso8601;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code reload=true}: watches the policy file and swaps in each valid new version, in two phases. First the new
 * engine is built completely (policy, matcher, sinks, backend started and ready; what did not change is carried over:
 * the same log and events files stay open, a backend takes over identical runtime reservations); only then is it
 * swapped in, atomically. A bind decided after the swap uses the new policy; a bind decided before keeps the old
 * engine to its end, and the old engine is retired once no such bind is in flight: its sinks are closed and its
 * backend releases what the new one did not take over. An invalid version, or a backend that is not ready, leaves the
 * running policy in force and logs why. Each attempt is logged and recorded as an event ({@code outcome: reloaded} or
 * {@code reload-failed}).
 *
 * <p>Change detection is by content: the file is read and hashed (SHA-256) once per poll, so a version of the same
 * size and modification time ({@code cp -p}, {@code touch -r}, a symlink flip) is seen; a new version is applied only
 * once two consecutive polls read the same content, and the text applied is exactly the text hashed. A half-written
 * file can still be applied if the writer pauses longer than a poll: replace the file by an atomic rename.
 */
public final class PolicyReloader {

    /** Builds the engine for a reloaded policy: its log and events files, its backend started after the old one. */
    interface Reconfigure {
        Engine apply(Policy policy, Backends.Choice choice, Engine current) throws Exception;

        /** Makes the bridge prefilter admit {@code policy}'s candidate binds (with {@code also}'s, if not null). */
        void publish(Policy policy, Policy also);
    }

    static final long POLL_MILLIS = Long.getLong("portres.reloadPollMillis", 1000L);
    /** How long a reload waits for the new backend's start-up work before refusing the new policy. */
    static final long READY_TIMEOUT_MILLIS = Long.getLong("portres.reloadReadyTimeoutMillis", 15000L);
    /** How long a reload waits for the old engine's binds in flight; longer, and it retires at a later poll. */
    static final long RETIRE_WAIT_MILLIS = 5000L;
    private static final int MAX_SIZE = 1024 * 1024;
    /** The hash of "no readable file", distinct from every content hash. */
    private static final byte[] ABSENT = new byte[0];

    private final Path file;
    private final String requestedBackend;
    private final Reconfigure reconfigure;
    private final List<ReservationBackend> started;
    /** Engines replaced while binds they decided were still in flight: closed once those are done. */
    private final List<Engine> retiring = new ArrayList<Engine>();
    private volatile long lastReloadMillis;
    private volatile String lastReloadError;
    private volatile int reloads;
    /** The content in force (its hash), and the last content a reload was attempted with. */
    private byte[] appliedHash;
    private byte[] attemptedHash;
    private final long[] loadedStamp;

    /**
     * @param loadedStamp the file's modification time and size when the policy in force was read (null: unknown):
     *                    if the file differs from it now, it changed since, and its first stable content is applied
     */
    PolicyReloader(Path file, String requestedBackend, Reconfigure reconfigure,
                   CopyOnWriteArrayList<ReservationBackend> started, long[] loadedStamp) {
        this.file = file;
        this.requestedBackend = requestedBackend;
        this.reconfigure = reconfigure;
        this.started = started;
        this.loadedStamp = loadedStamp;
    }

    /**
     * The content in force, read when the watch starts (on its thread: a JVM without {@code reload=true} never
     * hashes, and never loads the security providers that MessageDigest needs).
     */
    private synchronized void initialState() {
        File f = file.toFile();
        long[] now = {f.lastModified(), f.length()};
        byte[] h = hash(read(file));
        appliedHash = loadedStamp != null && Arrays.equals(loadedStamp, now) ? h : null;
        attemptedHash = appliedHash;
    }

    public String lastReload() {
        return lastReloadMillis == 0 ? null : Iso8601.format(lastReloadMillis);
    }

    public String lastReloadError() {
        return lastReloadError;
    }

    public int reloads() {
        return reloads;
    }

    void start() {
        Thread t = Privileges.thread(new Runnable() {
            @Override
            public void run() {
                watch();
            }
        }, "portres-reload", true);
        t.start();
    }

    private void watch() {
        initialState();
        byte[] pending = null;
        while (true) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                retirePending(0);
                byte[] content = read(file);
                byte[] h = hash(content);
                if (pending == null || !Arrays.equals(pending, h)) {
                    pending = h; // wait for one more poll that reads the same content
                    continue;
                }
                reloadIfChanged(content, h);
            } catch (Throwable bug) {
                Engine e = BindDispatcher.engine();
                (e != null ? e.log() : AgentLog.bootstrap()).agentBug("policy reload", bug);
            }
        }
    }

    private synchronized void reloadIfChanged(byte[] content, byte[] h) {
        if (Arrays.equals(h, attemptedHash)) {
            return;
        }
        attemptedHash = h;
        if (Arrays.equals(h, appliedHash)) {
            return; // back to the content in force (a failed version was fixed by restoring it)
        }
        reload(content, h);
    }

    /** Loads the file now and swaps it in if valid and ready. Also the MBean's reload operation. */
    public synchronized boolean reload() {
        byte[] content = read(file);
        byte[] h = hash(content);
        attemptedHash = h;
        return reload(content, h);
    }

    private boolean reload(byte[] content, byte[] h) {
        Engine current = BindDispatcher.engine();
        AgentLog log = current != null ? current.log() : AgentLog.bootstrap();
        lastReloadMillis = System.currentTimeMillis();
        reloads++;
        Policy policy;
        try {
            policy = parse(content);
        } catch (PolicyException e) {
            StringBuilder sb = new StringBuilder();
            for (Problem p : e.problems()) {
                log.error(p.toString());
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                sb.append(p.toString());
            }
            return failed(current, log, e.problems().size() + " error(s)", sb.toString());
        }
        Engine next = null;
        try {
            Backends.Choice choice = Backends.choose(policy, requestedBackend, System.getProperty("os.name", ""));
            next = reconfigure.apply(policy, choice, current);
            String notReady = next.backend().awaitStarted(READY_TIMEOUT_MILLIS);
            if (notReady != null) {
                next.close(); // releases only what the new engine holds alone
                return failed(current, log, "the " + next.backend().name() + " backend is not ready",
                        notReady);
            }
        } catch (Throwable t) {
            if (next != null) {
                next.close();
            }
            return failed(current, log, String.valueOf(t), String.valueOf(t));
        }
        // phase two: the swap. The prefilter admits both policies' binds while the engine changes.
        reconfigure.publish(policy, current != null ? current.policy() : null);
        started.add(next.backend());
        if (next.backend().releasesAtExit()) {
            Installer.ShutdownHook.need();
        }
        appliedHash = h;
        lastReloadError = null;
        next.log().info("reloaded policy " + file + ": mode " + policy.mode().name().toLowerCase()
                + ", backend " + next.backend().name() + ", " + policy.reservations().size()
                + " reservations, " + policy.rules().size() + " rules");
        // queued before the swap, so that no bind the new policy decides is recorded ahead of its 'reloaded'
        event(next, "reloaded", null);
        BindDispatcher.setEngine(next);
        reconfigure.publish(policy, null);
        if (current != null) {
            synchronized (retiring) {
                retiring.add(current);
            }
            retirePending(RETIRE_WAIT_MILLIS);
        }
        return true;
    }

    private boolean failed(Engine current, AgentLog log, String summary, String error) {
        lastReloadError = error;
        log.error("reload of " + file + " failed: " + summary + "; the running policy stays in force");
        event(current, "reload-failed", error);
        return false;
    }

    /**
     * Retires the replaced engines whose binds are done: waits at most {@code waitMillis} for each, closes it and
     * forgets its backend; an engine still busy is tried again at the next poll.
     */
    private void retirePending(long waitMillis) {
        synchronized (retiring) {
            for (java.util.Iterator<Engine> it = retiring.iterator(); it.hasNext(); ) {
                Engine old = it.next();
                if (old.retire(waitMillis)) {
                    old.close();
                    started.remove(old.backend());
                    it.remove();
                }
            }
        }
    }

    /** Engines replaced and not yet closed (binds they decided still in flight). */
    int retiringCount() {
        synchronized (retiring) {
            return retiring.size();
        }
    }

    private Policy parse(byte[] content) throws PolicyException {
        String reason;
        if (content == null) {
            reason = file.toFile().exists() ? "it is not a regular file, or it cannot be read" : "file not found";
        } else if (content.length > MAX_SIZE) {
            reason = "it is larger than 1 MiB";
        } else {
            try {
                String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
                Path dir = file.toAbsolutePath().getParent();
                return PolicyLoader.parse(text, file.toString(), dir);
            } catch (CharacterCodingException e) {
                reason = "it is not UTF-8 text";
            }
        }
        throw new PolicyException(java.util.Collections.singletonList(new Problem(Problem.Severity.ERROR,
                file.toString(), 0, 0, "", "cannot read policy: " + reason)));
    }

    /** The file's bytes (at most 1 MiB + 1), or null when it is missing, not a regular file, or unreadable. */
    static byte[] read(Path file) {
        File f = file.toFile();
        if (!f.isFile()) {
            return null; // never open a FIFO or a device: it could block this thread forever
        }
        try {
            InputStream in = new FileInputStream(f);
            try {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    if (out.size() > MAX_SIZE) {
                        break;
                    }
                }
                return out.toByteArray();
            } finally {
                in.close();
            }
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    static byte[] hash(byte[] content) {
        if (content == null) {
            return ABSENT;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (java.security.NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible); // every JRE has SHA-256
        }
    }

    private static void event(Engine e, String outcome, String error) {
        if (e == null || e.events() == null) {
            return;
        }
        e.events().submit(EventLog.event(System.currentTimeMillis(), Thread.currentThread().getName(), null, null,
                0, -1, null, null, null, e.backend().name(), null, outcome, error, null));
    }
}
