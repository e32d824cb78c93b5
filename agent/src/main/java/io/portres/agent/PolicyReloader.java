package io.portres.agent;

import io.portres.agent.backend.Backends;
import io.portres.agent.hook.BindDispatcher;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.Iso8601;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code reload=true}: watches the policy file and swaps in each valid new version. A bind decided after the swap
 * uses the new policy; sockets already bound are not touched. An invalid version leaves the running policy in force
 * and logs its errors. Each attempt is logged and recorded as an event ({@code outcome: reloaded} or
 * {@code reload-failed}).
 *
 * <p>Polls the file's size and modification time once a second rather than using a WatchService: polling also
 * follows a file replaced by rename or a symlink swapped underneath (Kubernetes config maps), where inotify watches
 * lose track. A change is taken once two consecutive polls agree, so a half-written file is not read.
 */
public final class PolicyReloader {

    /** Builds the engine for a reloaded policy: its log and events files, its backend started. */
    interface Reconfigure {
        Engine apply(Policy policy, Backends.Choice choice) throws Exception;
    }


    static final long POLL_MILLIS = Long.getLong("portres.reloadPollMillis", 1000L);

    private final Path file;
    private final String requestedBackend;
    private final Reconfigure reconfigure;
    private final List<io.portres.agent.backend.ReservationBackend> started;
    private volatile long lastReloadMillis;
    private volatile String lastReloadError;
    private volatile int reloads;

    PolicyReloader(Path file, String requestedBackend, Reconfigure reconfigure,
                   CopyOnWriteArrayList<io.portres.agent.backend.ReservationBackend> started) {
        this.file = file;
        this.requestedBackend = requestedBackend;
        this.reconfigure = reconfigure;
        this.started = started;
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
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                watch();
            }
        }, "portres-reload");
        t.setDaemon(true);
        t.start();
    }

    private void watch() {
        File f = file.toFile();
        long[] seen = {f.lastModified(), f.length()};
        long[] pending = null;
        while (true) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long[] now = {f.lastModified(), f.length()};
            if (now[0] == seen[0] && now[1] == seen[1]) {
                pending = null;
                continue;
            }
            if (pending == null || pending[0] != now[0] || pending[1] != now[1]) {
                pending = now; // wait for one more poll that agrees
                continue;
            }
            seen = now;
            pending = null;
            reload();
        }
    }

    /** Loads the file now and swaps it in if valid. Also the MBean's reload operation. */
    public synchronized boolean reload() {
        Engine current = BindDispatcher.engine();
        AgentLog log = current != null ? current.log() : AgentLog.bootstrap();
        lastReloadMillis = System.currentTimeMillis();
        reloads++;
        Policy policy;
        try {
            policy = PolicyLoader.load(file);
        } catch (PolicyException e) {
            StringBuilder sb = new StringBuilder();
            for (Problem p : e.problems()) {
                log.error(p.toString());
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                sb.append(p.toString());
            }
            lastReloadError = sb.toString();
            log.error("reload of " + file + " failed: " + e.problems().size() + " error(s); the running policy"
                    + " stays in force");
            event(current, "reload-failed", lastReloadError);
            return false;
        }
        try {
            Backends.Choice choice = Backends.choose(policy, requestedBackend, System.getProperty("os.name", ""));
            Engine next = reconfigure.apply(policy, choice);
            started.add(choice.backend);
            if (choice.backend.releasesAtExit()) {
                Installer.ShutdownHook.need();
            }
            BindDispatcher.setEngine(next);
            lastReloadError = null;
            next.log().info("reloaded policy " + file + ": mode " + policy.mode().name().toLowerCase()
                    + ", backend " + next.backend().name() + ", " + policy.reservations().size()
                    + " reservations, " + policy.rules().size() + " rules");
            event(next, "reloaded", null);
            return true;
        } catch (Throwable t) {
            lastReloadError = String.valueOf(t);
            log.error("reload of " + file + " failed, the running policy stays in force: " + t);
            event(current, "reload-failed", lastReloadError);
            return false;
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
