package io.portres.agent;

import io.portres.agent.backend.Backends;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.discover.Discovery;
import io.portres.agent.hook.BindTransformer;
import io.portres.agent.hook.BridgeInstaller;
import io.portres.agent.jmx.JmxInUse;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.AsyncWriter;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.LineSink;
import io.portres.policy.LogSettings;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;
import io.portres.policy.Protocol;
import io.portres.policy.Rule;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Start-up, in order: switches, policy, log, backend, bridge, transformer, retransformation of JDK classes that
 * are already loaded, then a background warm-up. Installs at most once per JVM.
 *
 * <p>Failure rules: a bad policy stops the JVM with status 2 before the application's main runs (unless
 * {@code onPolicyError=continue}, or when attaching to a running JVM); anything else that goes wrong leaves the
 * JVM uninstrumented with one message, and never throws.
 */
public final class Installer {

    /** Exit status when the policy is unusable: the application does not start. */
    static final int POLICY_ERROR_STATUS = 2;
    private static final long SHUTDOWN_WAIT_FOR_START_MILLIS = 2000;

    private static final Object LOCK = new Object();
    private static boolean installed;
    /**
     * The policy file's modification time and size just before premain read it: the reloader hashes the file later,
     * and takes that content as the one in force only if these have not changed meanwhile.
     */
    static volatile long[] policyStamp;

    /** The thread that ran {@code premain} (the JVM's main thread), for {@link #awaitPremainReturned}. */
    private static volatile Thread premainThread;

    private Installer() {
    }

    /**
     * Waits (at most {@code millis}, on an agent thread) until {@code premain} has returned. JDK 26+ make the JVM's
     * exit wait for JVMTI callbacks in progress, up to 60 s (JDK-8355631; JDK-8387045), and {@code premain} runs
     * inside one (VMInit): a {@code System.exit} from an agent thread while {@code premain} still runs would stall
     * for that long, while the application's {@code main} goes on. Exiting once it has returned is immediate, and the
     * binds a rule could match still wait for {@code READY}.
     */
    static void awaitPremainReturned(long millis) {
        Thread t = premainThread;
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        long deadline = System.nanoTime() + millis * 1000000L;
        while (System.nanoTime() - deadline < 0 && inPremain(t)) {
            try {
                Thread.sleep(2); // a condition of another thread's stack: nothing to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean inPremain(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if ("loadClassAndCallPremain".equals(e.getMethodName())
                    && "sun.instrument.InstrumentationImpl".equals(e.getClassName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns null on success, or the reason the agent is inactive. Under a SecurityManager the whole start-up runs
     * inside doPrivileged, with the agent jar's rights; when the manager does not grant it AllPermission, the agent
     * reports that once and stays out ({@link Privileges}).
     */
    static String install(final String agentArgs, final Instrumentation inst, final boolean attach) {
        if (!attach) {
            premainThread = Thread.currentThread();
        }
        if (System.getSecurityManager() == null) {
            return installNow(agentArgs, inst, attach);
        }
        try {
            if (Privileges.refused()) {
                return refusedByManager(agentArgs, attach);
            }
            return Privileges.run(new java.security.PrivilegedAction<String>() {
                @Override
                public String run() {
                    return installNow(agentArgs, inst, attach);
                }
            });
        } catch (Throwable t) {
            String msg = "portres could not start and is inactive (the application runs without it): " + t;
            System.err.println("[portres] ERROR " + io.portres.policy.Problem.escape(msg));
            return msg;
        }
    }

    /**
     * A SecurityManager at premain that does not grant the agent jar AllPermission. The trampoline has checked that
     * before loading the agent (without the grant the agent's loader cannot even be created), so this is reached only
     * when the agent is started some other way: the same report, and {@code onPolicyError} decides.
     */
    private static String refusedByManager(String agentArgs, boolean attach) {
        io.portres.boot.ManagerCheck.refuses(agentArgs, attach);
        return "refused by the SecurityManager";
    }

    /** How a report of a manager that refuses the agent ends, by {@code onPolicyError}. */
    static final String STOPS = "; the JVM stops with status 2 (onPolicyError=fail; set onPolicyError=continue to"
            + " run the application without the agent)";
    static final String RUNS_WITHOUT = "; the agent is inactive and every bind proceeds as without it"
            + " (onPolicyError=continue)";

    private static String installNow(String agentArgs, Instrumentation inst, boolean attach) {
        try {
            synchronized (LOCK) {
                if (installed || BridgeInstaller.existingBridge() != null) {
                    LineSink.stderr().write("[portres] WARN portres is already installed in this JVM;"
                            + " ignoring the second -javaagent/attach");
                    return null;
                }
                installed = true;
            }
            return doInstall(agentArgs, inst, attach);
        } catch (Throwable t) {
            Class<?> bridge = BridgeInstaller.existingBridge();
            if (bridge != null) {
                countDownReady(bridge); // never leave early binds waiting for an agent that gave up
            }
            String msg = "portres could not start and is inactive (the application runs without it): " + t;
            try {
                LineSink.stderr().write("[portres] ERROR " + io.portres.policy.Problem.escape(msg));
            } catch (Throwable unwritable) {
                System.err.println("[portres] ERROR " + io.portres.policy.Problem.escape(msg)); // never out of premain
            }
            return msg;
        }
    }

    private static String doInstall(String agentArgs, Instrumentation inst, boolean attach) {
        // The JDK side (module opening, bridge, transformer, rewriting sun.nio.ch.Net) starts now on the agent's
        // thread, in parallel with reading the policy here: about 8 ms of each, on the application's critical path
        // when done one after the other.
        Background background = new Background(inst);
        startInBackground(background);
        AgentOptions options = null;
        try {
            options = AgentOptions.parse(agentArgs, System.getProperties(), System.getenv());
        } finally { // the background thread waits for this before it builds the transformer
            background.decideChannelBinds(options == null
                    || Backends.mayChooseWindows(options.backend(), System.getProperty("os.name", "")));
        }
        List<String> errors = new ArrayList<String>(options.errors());
        Policy policy = null;
        if (options.policy() == null && options.discover() == null) {
            errors.add("no policy given: use -javaagent:portres-agent.jar=<policy.yaml>, -Dportres.policy=<file>"
                    + " or PORTRES_POLICY (or discover=<file> alone, to record what the application binds)");
        } else if (options.policy() == null && errors.isEmpty()) {
            policy = Discovery.policyWithoutRules(); // discover=<file> alone: no rule, nothing changed
        } else if (errors.isEmpty()) {
            try {
                java.io.File f = new java.io.File(options.policy());
                policyStamp = new long[] {f.lastModified(), f.length()};
                policy = PolicyLoader.load(Paths.get(options.policy()));
            } catch (PolicyException e) {
                for (Problem p : e.problems()) {
                    if (p.severity() == Problem.Severity.ERROR) {
                        errors.add(p.toString());
                    }
                }
                if (errors.isEmpty()) {
                    errors.add(options.policy() + ": " + e.getMessage());
                }
            }
        }
        AgentLog log = null;
        EventLog events = null;
        if (policy != null) {
            LogSettings settings = policy.log();
            try {
                log = new AgentLog(settings.level(), settings.file() == null ? LineSink.stderr()
                        : LineSink.file(settings.file(), true, settings.maxSize(), settings.keep()));
            } catch (IOException e) {
                errors.add(policy.source() + ": log.file: cannot write " + settings.file() + ": " + e.getMessage());
            }
            try {
                events = settings.events() == null ? null
                        : new EventLog(LineSink.file(settings.events(), false, settings.maxSize(), settings.keep()));
            } catch (IOException e) {
                errors.add(policy.source() + ": log.events: cannot write " + settings.events() + ": "
                        + e.getMessage());
            }
        }
        LineSink discovery = null;
        if (options.discover() != null && errors.isEmpty()) {
            try {
                discovery = LineSink.file(Paths.get(options.discover()), false);
            } catch (IOException e) {
                errors.add(options.discoverSource() + ": cannot write " + options.discover() + ": " + e);
            }
        }
        if (!errors.isEmpty()) {
            background.awaitHooked();
            background.deactivate();
            return refuse(errors, options, attach);
        }
        // what needs only the policy comes before the wait: the JDK side usually takes a little longer
        Backends.Choice choice = Backends.choose(policy, options.backend(), System.getProperty("os.name", ""));
        CopyOnWriteArrayList<ReservationBackend> backends = new CopyOnWriteArrayList<ReservationBackend>();
        backends.add(choice.backend);
        if (!background.isHooked()) {
            // Nothing left for this thread but to wait: it loads the bytecode library meanwhile, which the agent's
            // thread needs next to rewrite Net, and which the application's first bind waits for (BENCHMARKS.md).
            BindTransformer.warmUp();
        }
        boolean hooked = background.awaitHooked();
        if (!hooked || background.failure != null) {
            background.deactivate();
            log.error("cannot connect to the JDK's socket classes, the agent is inactive: "
                    + (hooked ? background.failure : "timed out"));
            return "bridge: " + background.failure;
        }
        if (discovery != null) {
            try {
                Discovery.start(discovery, background.bridge);
                discovering = true;
                ShutdownHook.need(); // writes what is queued, and the binds that never finished
            } catch (Exception e) {
                log.error("discover: cannot record binds, " + options.discover() + " stays empty: " + e);
            }
        }
        publishPolicy(background.bridge, policy);
        ShutdownHook.backends = backends;
        ShutdownHook.started = background.started;
        if (!log.enabled(io.portres.policy.LogLevel.INFO) && (!log.enabled(io.portres.policy.LogLevel.WARN)
                || policy.warnings().isEmpty() && choice.note == null && background.retransformed[1] == null
                && !choice.backend.mayWarnAtStart(policy))) {
            background.started.countDown(); // nothing to log at start-up: an exit need not wait for it
        } else {
            ShutdownHook.need();
        }
        if (choice.backend.releasesAtExit() || hasClassRules(policy) && log.enabled(io.portres.policy.LogLevel.WARN)) {
            ShutdownHook.need(); // a backend to stop; rules that may match nothing, with a hint to warn about
        }
        Privileges.onRefusal(refusal(background, log, events, choice.backend.name(),
                options.continueOnPolicyError() || attach));
        background.handOver(policy, choice, log, events, options, attach, backends);
        return null;
    }

    /**
     * A SecurityManager installed after premain (Tomcat's, in {@code main}) that does not grant the agent jar
     * AllPermission, found at a candidate bind or by the agent's thread: the report, once, as an error or warning
     * and an event ({@code inactive}); the agent stands aside (no bind is a candidate any more); under
     * {@code onPolicyError=fail} a thread of the agent stops the JVM with status 2 (the bind itself proceeds).
     */
    private static Privileges.Refusal refusal(final Background background, final AgentLog startLog,
                                              final EventLog startEvents, final String startBackend,
                                              final boolean runWithout) {
        return new Privileges.Refusal() {
            @Override
            public void refused(String report) {
                Engine e = io.portres.agent.hook.BindDispatcher.engine(); // null: refused before it was in force
                AgentLog log = e != null ? e.log() : startLog;
                if (runWithout) {
                    log.warnAsync(report + RUNS_WITHOUT);
                } else {
                    log.errorAsync(report + STOPS);
                }
                EventLog events = e != null ? e.events() : startEvents;
                if (events != null) {
                    events.submit(EventLog.event(System.currentTimeMillis(), Thread.currentThread().getName(),
                            null, null, 0, -1, null, null, null, e != null ? e.backend().name() : startBackend, null,
                            "inactive", report, null));
                }
                try {
                    ShutdownHook.need(); // the report is flushed at exit (if the manager lets the agent hook it)
                } catch (Throwable denied) {
                    // then the writer thread gets what time it gets
                }
                try {
                    background.deactivate();
                } catch (Throwable partly) {
                    // the dispatcher stands aside anyway: it asks Privileges at every candidate bind
                }
                if (!runWithout) {
                    Privileges.thread(new Runnable() {
                        @Override
                        public void run() {
                            AsyncWriter.flush(SHUTDOWN_WAIT_FOR_START_MILLIS); // the report reaches its file
                            System.exit(POLICY_ERROR_STATUS);
                        }
                    }, "portres-exit", false).start();
                }
            }
        };
    }

    /**
     * The thread {@code portres-init}. First the JDK side, while premain reads the policy: open the JDK packages,
     * define the bridge, register the transformer, retransform what is loaded already (premain waits for this
     * much). Then rewrite {@code sun.nio.ch.Net} and {@code sun.net.NetHooks} by loading them, and build the
     * bridge's handle on the native bind, so that the application's first bind does neither. Then, once premain
     * hands over, the rest of the start-up ({@link BackgroundInit}).
     */
    static final class Background implements Runnable {
        private static final long HOOK_TIMEOUT_SECONDS = 30;

        private final Instrumentation inst;
        private final CountDownLatch hooked = new CountDownLatch(1);
        private final CountDownLatch handedOver = new CountDownLatch(1);
        /**
         * Counted down once the start-up summary is logged (or the start failed). A short-lived application can
         * exit before this thread gets there; the shutdown hook waits for it, so the log always has its summary.
         */
        final CountDownLatch started = new CountDownLatch(1);
        volatile Class<?> bridge;
        volatile BindTransformer transformer;
        /** Watches for the JVM's first MBean server, so that the agent's MBean is registered only in JVMs using JMX. */
        volatile JmxInUse jmxInUse;
        volatile Throwable failure;
        /** What retransformation did, for the log once there is one: {debug message, error message}. */
        volatile String[] retransformed = new String[2];
        private volatile boolean abandoned;
        private volatile Object[] handedOverState; // what BackgroundInit needs; null: the agent is inactive

        Background(Instrumentation inst) {
            this.inst = inst;
        }

        /** Whether the channel-bind hook points (F) are wanted: set by premain once it has read the switches. */
        private volatile boolean channelBinds = true;
        private final CountDownLatch channelBindsDecided = new CountDownLatch(1);

        void decideChannelBinds(boolean wanted) {
            channelBinds = wanted;
            channelBindsDecided.countDown();
        }

        /** Premain decides within a millisecond of starting this thread; if it does not, F is kept (the safe side). */
        private boolean channelBinds() {
            try {
                if (!channelBindsDecided.await(HOOK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
            return channelBinds;
        }

        Instrumentation inst() {
            return inst;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            try {
                bridge = BridgeInstaller.install(inst);
                remember();
                synchronized (this) {
                    if (!abandoned) {
                        transformer = BindTransformer.forHookPoints(channelBinds());
                        inst.addTransformer(transformer, true);
                        jmxInUse = JmxInUse.watch(inst); // before hooked: premain waits for it, main has not run
                    }
                }
                if (transformer != null) {
                    retransformed = retransformLoaded(inst, transformer);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                hooked.countDown();
            }
            if (failure != null) {
                return;
            }
            prepare();
            try {
                handedOver.await();
            } catch (InterruptedException e) {
                started.countDown();
                return;
            }
            Object[] state = handedOverState;
            if (state == null) {
                started.countDown();
                return;
            }
            // built here rather than in premain: linking a class verifies all its code, on the linking thread
            new BackgroundInit((Policy) state[0], (Backends.Choice) state[1], (AgentLog) state[2],
                    (EventLog) state[3], this, (AgentOptions) state[4], (Boolean) state[5],
                    (CopyOnWriteArrayList<ReservationBackend>) state[6]).run();
        }

        /**
         * Loads {@code sun.nio.ch.Net} and {@code sun.net.NetHooks} (rewritten now: the first edit loads and links the
         * bytecode library, tens of milliseconds of cold code) and builds the bridge's handle on the native bind.
         * Done after premain has been released, overlapping the application's start: before it, on JDK 17, the
         * trivial application's start-to-exit was 11 ms longer (paired, 21 rounds; BENCHMARKS.md), although its
         * first bind, which comes at once, then waits for part of it.
         */
        private static void prepare() {
            try {
                // Linked, not reflective: the bridge is in java.base's sun.nio.ch, which is open to the agent's module
                // (for the VM, that is also an export). getMethod would load the types of every public method of the
                // bridge, and JDK 18+'s Method.invoke spins method handles: 3-4 ms of this thread on JDK 25.
                sun.nio.ch.PortresBridge.prepare();
                Class.forName("sun.net.NetHooks", false, null);
            } catch (Throwable ignored) {
                // only a head start: the bridge builds its handle, and the JDK loads these, at the first bind
            }
        }

        boolean isHooked() {
            return hooked.getCount() == 0;
        }

        /** Waits until the JDK side is connected (or failed); false if it took unreasonably long. */
        boolean awaitHooked() {
            try {
                return hooked.await(HOOK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return hooked.getCount() == 0;
            }
        }

        void handOver(Policy policy, Backends.Choice choice, AgentLog log, EventLog events, AgentOptions options,
                      boolean attach, CopyOnWriteArrayList<ReservationBackend> backends) {
            handedOverState = new Object[] {policy, choice, log, events, options, attach, backends};
            handedOver.countDown();
        }

        /** The agent will not run: hooked classes pass every bind through untouched, and no more are hooked. */
        void deactivate() {
            deactivate(false);
        }

        /** As above; {@code keepJmxWatch}: the MBean is still registered once JMX is used (to show a hook gap). */
        void deactivate(boolean keepJmxWatch) {
            synchronized (this) {
                abandoned = true;
                if (transformer != null) {
                    inst.removeTransformer(transformer);
                }
                if (jmxInUse != null && !keepJmxWatch) {
                    jmxInUse.stop(inst);
                }
            }
            Class<?> b = bridge != null ? bridge : BridgeInstaller.existingBridge();
            if (b != null) {
                try {
                    setCandidatePorts(b, new long[65538 / 64 + 1]); // no bind is a candidate
                } catch (Throwable ignored) {
                    // the field is ours
                }
                countDownReady(b);
            }
            handedOver.countDown();
        }
    }

    static void countDownReady(Class<?> bridge) {
        try {
            CountDownLatch r = bridgeReady;
            (r != null ? r : (CountDownLatch) bridge.getField("READY").get(null)).countDown();
        } catch (Throwable ignored) {
            // the field is ours; this cannot fail short of a broken build
        }
    }

    /**
     * The bridge's {@code READY} and {@code CANDIDATE_PORTS}, looked up once on the start-up thread, while the agent
     * may: a SecurityManager installed later that denies the agent {@code accessClassInPackage.sun.nio.ch} must not
     * keep it from releasing the binds waiting on {@code READY}, nor from making every bind a non-candidate; and
     * premain's thread then publishes without reflection.
     */
    private static volatile CountDownLatch bridgeReady;
    private static volatile AtomicReference<long[]> bridgeCandidatePorts;

    static void remember() {
        // Linked, not Field.get: a JVM's first reflective field read spins method handles (JDK 18+).
        bridgeReady = sun.nio.ch.PortresBridge.READY;
        bridgeCandidatePorts = sun.nio.ch.PortresBridge.CANDIDATE_PORTS;
    }

    @SuppressWarnings("unchecked")
    private static void setCandidatePorts(Class<?> bridge, long[] bits) throws Exception {
        AtomicReference<long[]> holder = bridgeCandidatePorts;
        (holder != null ? holder : (AtomicReference<long[]>) bridge.getField("CANDIDATE_PORTS").get(null)).set(bits);
    }

    private static void startInBackground(Runnable init) {
        Privileges.thread(init, "portres-init", true).start();
    }

    /** Prints every error; then stops the JVM (status 2), or leaves the agent inactive. */
    private static String refuse(List<String> errors, AgentOptions options, boolean attach) {
        LineSink err = LineSink.stderr();
        for (String e : errors) {
            err.write(io.portres.policy.Problem.escape(e)); // one line each, whatever a value or path held
        }
        String count = errors.size() == 1 ? "1 error" : errors.size() + " errors";
        if (attach || options.continueOnPolicyError()) {
            err.write("[portres] WARN " + count + " in the portres configuration; the agent is inactive and the"
                    + " application runs without it" + (attach ? "" : " (onPolicyError=continue)"));
            return count;
        }
        err.write("[portres] " + count + " in the portres configuration; the application was not started"
                + " (fix the policy, or set onPolicyError=continue to start without the agent)");
        System.exit(POLICY_ERROR_STATUS);
        return count; // not reached
    }

    /**
     * What the bridge decides alone, before the agent is ready and on every bind after (see
     * {@code PortresBridge.CANDIDATE_PORTS}): the ports some rule admits, whether a rule takes implicit binds, and
     * whether JDK 8/11 DatagramChannels must bind explicitly before send/connect.
     */
    static void publishPolicy(Class<?> bridge, Policy policy) {
        publishPolicy(bridge, policy, null);
    }

    /** As above, admitting the binds of both policies (while a reload swaps one for the other). */
    static void publishPolicy(Class<?> bridge, Policy policy, Policy also) {
        try {
            long[] bits = candidatePorts(policy);
            if (discovering) {
                java.util.Arrays.fill(bits, -1L); // discover=<file>: every bind reaches the dispatcher
            } else if (also != null) {
                long[] more = candidatePorts(also);
                for (int i = 0; i < bits.length; i++) {
                    bits[i] |= more[i];
                }
            }
            setCandidatePorts(bridge, bits);
        } catch (Throwable ignored) {
            // the field is ours; this cannot fail short of a broken build
        }
    }

    /** {@code discover=<file>} is on (read here rather than from Discovery: premain need not load that class). */
    private static volatile boolean discovering;

    static boolean discovering() {
        return discovering;
    }

    private static boolean hasClassRules(Policy policy) {
        for (Rule r : policy.rules()) {
            if (r.classes() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * One bit per port that some rule's {@code port} admits (a rule by class alone admits all), bit 65536 when a
     * rule takes implicit binds, bit 65537 when a UDP rule admits port 0 or any port.
     */
    static long[] candidatePorts(Policy policy) {
        long[] bits = new long[65538 / 64 + 1];
        for (Rule r : policy.rules()) {
            if (r.ports() == null) {
                java.util.Arrays.fill(bits, 0, 65536 / 64, -1L); // a rule by class alone: every port
            } else {
                int[] ranges = r.ports().ranges();
                for (int i = 0; i < ranges.length; i += 2) {
                    for (int port = ranges[i]; port <= ranges[i + 1]; port++) {
                        bits[port >>> 6] |= 1L << port;
                    }
                }
            }
            if (r.implicit()) {
                set(bits, 65536);
            }
            if (matchesImplicitUdpBinds(r)) {
                set(bits, 65537);
            }
        }
        return bits;
    }

    /**
     * A UDP rule that admits port 0: it could match the bind a JDK 8/11 DatagramChannel makes inside send/connect,
     * which the bridge then turns into an explicit one.
     */
    static boolean matchesImplicitUdpBinds(Rule r) {
        return r.protocol() == Protocol.UDP && (r.ports() == null || r.ports().contains(0));
    }

    private static void set(long[] bits, int bit) {
        bits[bit >>> 6] |= 1L << bit;
    }

    /**
     * Classes loaded before the agent (JMX agent, an attach, another agent) are rewritten in place. Returns what to
     * log once the log exists: {debug message or null, error message or null}.
     */
    private static String[] retransformLoaded(Instrumentation inst, BindTransformer transformer) {
        Set<String> targets = transformer.targetClassNames();
        List<Class<?>> loaded = new ArrayList<Class<?>>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getClassLoader() == null && targets.contains(c.getName())) {
                loaded.add(c);
            }
        }
        if (loaded.isEmpty()) {
            return new String[2];
        }
        try {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
            return new String[] {"retransformed already-loaded classes: " + loaded, null};
        } catch (Throwable t) {
            return new String[] {null, "cannot retransform " + loaded + "; binds through them are not seen: " + t};
        }
    }

    /**
     * The agent's one shutdown hook, registered only once something needs it: a backend that releases what it holds,
     * a writer thread with lines to flush, or a start-up summary still to be logged. At JVM shutdown it waits for
     * that summary (at most 2 s, for a JVM that exits right after its start), stops every backend started (the
     * first, and one per reload), and flushes the log.
     */
    static final class ShutdownHook implements Runnable {
        private static final Object LOCK = new Object();
        private static boolean registered;
        static volatile List<ReservationBackend> backends = new CopyOnWriteArrayList<ReservationBackend>();
        static volatile CountDownLatch started = new CountDownLatch(0);
        /** Set once the agent's thread has connected the dispatcher: before, no bind reached an engine. */
        static volatile boolean dispatcherConnected;

        static void need() {
            synchronized (LOCK) {
                if (registered) {
                    return;
                }
                registered = true;
            }
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(new ShutdownHook(), "portres-shutdown"));
            } catch (IllegalStateException exiting) {
                // the JVM is shutting down already: nothing left to hook
            }
        }

        @Override
        public void run() {
            try {
                started.await(SHUTDOWN_WAIT_FOR_START_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // exit now
            }
            AtExit.run(); // discovery's unfinished binds, the rules that matched no bind
            for (ReservationBackend b : backends) {
                try {
                    b.stop();
                } catch (Throwable ignored) {
                    // nothing sensible to do while the JVM exits
                }
            }
            AsyncWriter.shutdown();
        }
    }

}
