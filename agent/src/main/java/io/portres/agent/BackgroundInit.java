package io.portres.agent;

import io.portres.agent.backend.Backends;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.hook.BindDispatcher;
import io.portres.agent.hook.BindTransformer;
import io.portres.agent.hook.BridgeLink;
import io.portres.agent.hook.SelfTest;
import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.jdk.JdkVersion;
import io.portres.agent.jmx.AgentMBean;
import io.portres.agent.jmx.JmxInUse;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.AsyncWriter;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.LineSink;
import io.portres.agent.match.StackCapture;
import io.portres.policy.LogSettings;
import io.portres.policy.Policy;
import io.portres.policy.Problem;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the thread {@code portres-init} does once premain has handed over: connect the dispatcher to the bridge, run the
 * hook self-test ({@link SelfTest}; a gap stops the JVM or leaves the agent inactive, per {@code onPolicyError}),
 * start the backend, build the matcher tables and count {@code READY} down (a candidate bind that arrives before then
 * waits on it), log the start-up summary, warm up (so that the first matched bind loads nothing); then, once the JVM uses JMX,
 * register the MBean.
 *
 * <p>A class of its own, apart from {@link Installer}: premain links Installer, and the JVM verifies every method
 * of a class it links, loading the types those methods use. What only this thread runs is verified here, on this
 * thread.
 */
final class BackgroundInit implements Runnable {

    private static final int SUMMARY_RULES = 20;

    private final Policy policy;
    private final Backends.Choice choice;
    private final AgentLog log;
    private final EventLog events;
    private final Installer.Background background;
    private final AgentOptions options;
    private final boolean attach;
    private final CopyOnWriteArrayList<ReservationBackend> backends;

    BackgroundInit(Policy policy, Backends.Choice choice, AgentLog log, EventLog events, Installer.Background background,
         AgentOptions options, boolean attach, CopyOnWriteArrayList<ReservationBackend> backends) {
        this.backends = backends;
        this.policy = policy;
        this.choice = choice;
        this.log = log;
        this.events = events;
        this.background = background;
        this.options = options;
        this.attach = attach;
    }

    /**
     * A SecurityManager installed by the application while this runs, which does not grant the agent AllPermission,
     * can make any step fail: checked first, and again on failure, so that it is reported once (by
     * {@link Privileges}) rather than as an agent bug, and the binds waiting on {@code READY} are released.
     */
    @Override
    public void run() {
        try {
            if (!Privileges.refused()) {
                start();
            }
        } catch (Throwable t) {
            if (!Privileges.refused()) {
                log.agentBug("start-up", t);
            }
        } finally {
            Installer.countDownReady(background.bridge);
            background.started.countDown();
        }
    }

    private void start() {
        AsyncWriter.onStart(new Runnable() {
            @Override
            public void run() {
                Installer.ShutdownHook.need(); // the writer thread started: flush it at exit
            }
        });
        Class<?> bridge = background.bridge;
        Engine engine = null;
        SelfTest.Verdict verdict = null;
        try {
            for (Problem w : policy.warnings()) {
                log.warn(w.toString());
            }
            if (choice.note != null) {
                log.warn(choice.note);
            }
            String[] retransformed = background.retransformed;
            if (retransformed[0] != null) {
                log.debug(retransformed[0]);
            }
            if (retransformed[1] != null) {
                log.error(retransformed[1]);
            }
            // The dispatcher is connected with no engine yet: the self-test's probe reaches it, while every other
            // bind a rule could match waits for READY, counted down below, after the verdict.
            BridgeLink.connect(bridge);
            Installer.ShutdownHook.dispatcherConnected = true;
            verdict = SelfTest.run(background.transformer, bridge, JdkVersion.FEATURE, System.getProperties(),
                    udpAutoBind(policy));
            if (verdict.ok()) {
                choice.backend.start(policy, log);
                engine = new Engine(policy, choice.backend, log, events);
                BindDispatcher.setEngine(engine);
            }
        } catch (Throwable t) {
            engine = null;
            if (!Privileges.refused()) { // else reported as such: a SecurityManager installed meanwhile
                log.error("cannot connect to the JDK's socket classes, the agent is inactive: " + t);
            }
        } finally {
            if (verdict != null && !verdict.ok() && !Privileges.refused()) {
                // (a SecurityManager installed meanwhile that refuses the agent makes the self-test fail too: that
                // is reported as such, by Privileges, not as a gap)
                hookGap(verdict); // stops the JVM (onPolicyError=fail), or leaves the agent inactive
            }
            Installer.countDownReady(bridge);
            if (engine == null) {
                background.started.countDown();
            }
        }
        if (engine != null) {
            try {
                summary(policy, engine, log, options, attach);
                hookSummary(verdict, log);
            } finally {
                background.started.countDown();
            }
            if (options.policy() == null) {
                warmUp(background.transformer, log, policy);
                return; // discover=<file> alone: no policy to reload or to show in an MBean
            }
            Path file = Paths.get(options.policy()).toAbsolutePath().normalize();
            PolicyReloader reloader = new PolicyReloader(file, options.backend(), reconfigure(bridge), backends,
                    Installer.policyStamp);
            if (options.reload()) {
                reloader.start();
                log.info("watching " + file + " for changes (reload=true)");
            }
            warmUp(background.transformer, log, policy);
            registerMBeanOnceJmxIsUsed(file, reloader);
        } else if (verdict != null && !verdict.ok() && options.policy() != null && !Privileges.refused()) {
            // inactive for a hook gap: the MBean still shows which hook point is missing
            registerMBeanOnceJmxIsUsed(Paths.get(options.policy()).toAbsolutePath().normalize(), null);
        } else if (background.jmxInUse != null) {
            background.jmxInUse.stop(background.inst());
        }
    }

    /** Whether a UDP rule (or discovery) makes the JDK 8/11 implicit-UDP hooks act. */
    private static boolean udpAutoBind(Policy policy) {
        boolean udpAutoBind = io.portres.agent.discover.Discovery.enabled();
        for (Rule r : policy.rules()) {
            udpAutoBind |= Installer.matchesImplicitUdpBinds(r);
        }
        return udpAutoBind;
    }

    /**
     * A hook point in use did not apply, or the probe bind did not arrive: a configuration error. Under
     * {@code onPolicyError=fail} (the default; not for an attach) the JVM stops with status 2, as for a bad policy: no bind
     * a rule could match has been decided yet (they wait for {@code READY}). Otherwise (continue, or an attach) the
     * agent stays inactive, with one warning. Either way one {@code hook-gap} event, when events are on.
     */
    private void hookGap(SelfTest.Verdict verdict) {
        StringBuilder gaps = new StringBuilder();
        for (String g : verdict.gaps) {
            gaps.append(gaps.length() == 0 ? "" : "; ").append(g);
        }
        String what = verdict.gaps.size() == 1 ? "a hook point of this JDK did not apply"
                : verdict.gaps.size() + " hook points of this JDK did not apply";
        if (events != null) {
            events.submit(io.portres.agent.log.EventLog.event(System.currentTimeMillis(),
                    Thread.currentThread().getName(), null, null, 0, -1, null, null, null, choice.backend.name(),
                    null, "hook-gap", gaps.toString(), null));
        }
        if (attach || options.continueOnPolicyError()) {
            background.deactivate(true);
            Installer.ShutdownHook.need(); // the warning is written even if the application exits at once
            log.warn("hook self-test: " + what + " (" + gaps + "); the agent is inactive and the application runs"
                    + " without it" + (attach ? "" : " (onPolicyError=continue)"));
            return;
        }
        String stopped = "1 error in the portres configuration (" + what + "); the application is stopped before"
                + " its first bind a rule could match (set onPolicyError=continue to run without the agent)";
        LineSink err = LineSink.stderr();
        err.write("[portres] ERROR hook self-test: " + Problem.escape(gaps.toString()));
        err.write("[portres] " + stopped);
        if (log.sink() != err) { // log.file: the log says it too
            log.error("hook self-test: " + gaps);
            log.error(stopped);
        }
        background.started.countDown();
        Installer.ShutdownHook.need(); // flushes the event and the log
        Installer.awaitPremainReturned(10000);
        System.exit(Installer.POLICY_ERROR_STATUS);
    }

    /** The hook points verified, after the summary's first line. */
    private static void hookSummary(SelfTest.Verdict verdict, AgentLog log) {
        if (verdict == null) {
            return;
        }
        for (String h : verdict.hooks) {
            log.info("  hook " + h);
        }
        if (verdict.probeNote != null) {
            log.warn("hook self-test: " + verdict.probeNote);
        }
    }

    /**
     * The MBean serves an operator who uses JMX. It is registered when the JVM creates its first MBean server (the
     * application, its JMX remote agent or a {@code jcmd ManagementAgent.start}), never before: creating the platform
     * MBean server in a JVM that does not use JMX cost real servers 0.4-0.5 s of CPU (BENCHMARKS.md). This thread
     * waits for that, parked, for as long as the JVM runs.
     */
    private void registerMBeanOnceJmxIsUsed(final Path file, final PolicyReloader reloader) {
        JmxInUse watch = background.jmxInUse;
        if (watch == null) {
            return;
        }
        if (!options.jmx()) {
            watch.stop(background.inst());
            return;
        }
        try {
            watch.await(background.inst(), attach);
        } catch (InterruptedException e) {
            return;
        }
        if (Privileges.refused()) {
            return; // a SecurityManager that does not grant the agent AllPermission: reported, the agent is inactive
        }
        Privileges.run(new java.security.PrivilegedAction<Void>() {
            @Override
            public Void run() {
                try {
                    if (!AgentMBean.register(file.toString(), reloader)) {
                        log.warn("an MBean named " + AgentMBean.NAME + " exists already; not registering ours");
                    }
                } catch (Throwable t) {
                    log.warn("could not register the MBean " + AgentMBean.NAME + ": " + t);
                }
                return null;
            }
        });
    }

    static PolicyReloader.Reconfigure reconfigure(final Class<?> bridge) {
        return new PolicyReloader.Reconfigure() {
            @Override
            public Engine apply(Policy policy, Backends.Choice choice, Engine current) throws Exception {
                LogSettings settings = policy.log();
                // Each engine holds its own reference to its files: LineSink.file shares one sink per path and closes it
                // when its last holder closes it, so a file that stays the same across a reload stays open.
                AgentLog log = new AgentLog(settings.level(), settings.file() == null ? LineSink.stderr()
                        : LineSink.file(settings.file(), true, settings.maxSize(), settings.keep()));
                EventLog events;
                try {
                    events = settings.events() == null ? null
                            : new EventLog(LineSink.file(settings.events(), false, settings.maxSize(), settings.keep()));
                } catch (Exception e) {
                    log.close();
                    throw e;
                }
                for (Problem w : policy.warnings()) {
                    log.warn(w.toString());
                }
                if (current != null) {
                    choice.backend.startAfter(current.backend(), policy, log);
                } else {
                    choice.backend.start(policy, log);
                }
                return new Engine(policy, choice.backend, log, events);
            }

            @Override
            public void publish(Policy policy, Policy also) {
                Installer.publishPolicy(bridge, policy, also);
            }
        };
    }


    private static void summary(Policy policy, Engine engine, AgentLog log, AgentOptions options, boolean attach) {
        if (!log.enabled(io.portres.policy.LogLevel.INFO)) {
            return;
        }
        String version = Installer.class.getPackage() == null ? null
                : Installer.class.getPackage().getImplementationVersion();
        if (options.policy() == null) {
            log.info("portres " + (attach ? "attached" : "active") + ": discovery only (no policy), every bind is"
                    + " recorded in " + options.discover());
            return;
        }
        Path file = Paths.get(options.policy()).toAbsolutePath().normalize();
        log.info("portres " + (version == null ? "(dev)" : version) + (attach ? " attached" : " active")
                + ": policy " + file + ", mode " + lower(policy.mode()) + ", onError " + lower(policy.onError())
                + ", backend " + engine.backend().name() + (engine.audit() ? " (records only)" : "") + ", "
                + plural(policy.reservations().size(), "reservation") + ", " + plural(policy.rules().size(), "rule")
                + (policy.log().events() == null ? "" : ", events " + policy.log().events()));
        for (Reservation r : policy.reservations()) {
            String token = engine.backend().tokenOf(r);
            log.info("  reservation '" + r.name() + "': " + r.describe() + ", " + lower(r.kind())
                    + (token != null ? ", token " + token : ""));
        }
        int shown = 0;
        for (Rule r : policy.rules()) {
            if (shown++ == SUMMARY_RULES) {
                log.info("  ... and " + (policy.rules().size() - SUMMARY_RULES) + " more rules");
                break;
            }
            log.info("  rule " + (r.index() + 1) + " '" + r.name() + "': " + r.protocol().id()
                    + (r.ports() == null ? " any port" : " port " + r.ports().describe())
                    + (r.address().isAny() ? "" : ", address " + r.address().describe())
                    + (r.classes() == null ? "" : ", class " + join(r.classes().patterns()))
                    + (r.implicit() ? ", implicit" : "") + " -> '" + r.reservation().name() + "'");
        }
    }

    /**
     * Load what the first matched bind needs (the JDK internals it reads, the stack walk, the log line and event
     * formatting, the per-bind classes), so that it loads nothing (class loading inside a bind can happen under
     * class-initialisation locks). Then report what was instrumented.
     */
    private static void warmUp(BindTransformer transformer, AgentLog log, Policy policy) {
        try {
            // the hooked classes this JDK's sockets use were loaded (and so rewritten) by the self-test
            Throwable access = JdkAccess.warmUp();
            if (access != null) {
                log.warn("JDK internals unavailable, matched binds report no bound port: " + access);
            }
            StackCapture.callerFrames(2);
            // what the first matched bind needs: formatting of the log line and the event
            io.portres.agent.log.EventLog.event(System.currentTimeMillis(), "warm-up", "tcp", "0.0.0.0", 0, 1, "r",
                    "r", null, "audit", null, "audited", null, null).toJson();
            // the dispatcher's per-bind classes, so that the first matched bind loads none of them
            Class.forName(io.portres.agent.hook.BindCall.class.getName());
            io.portres.agent.hook.BindCall.Outcome.values();
            io.portres.agent.hook.BindCall.State.values();
            for (String note : transformer.notes()) {
                log.warn(note);
            }
            for (String f : transformer.failures()) {
                log.warn("could not instrument " + f + "; binds through it are not seen");
            }
            log.debug("instrumented " + transformer.instrumented());
        } catch (Throwable bug) {
            log.agentBug("warm-up", bug);
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String plural(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }

    private static String join(List<String> items) {
        StringBuilder sb = new StringBuilder();
        for (String s : items) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(s);
        }
        return sb.toString();
    }
}
