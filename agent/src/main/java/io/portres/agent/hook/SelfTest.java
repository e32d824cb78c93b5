package io.portres.agent.hook;

import io.portres.agent.hook.point.HookPoint;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The start-up self-test (as BlockHound's {@code testInstrumentation()}): every hook point this JDK and these switches
 * use ({@link HookPoint#inUse}) must have been applied, and one probe bind must travel the whole path, hooked JDK
 * method, bridge, dispatcher, before the agent takes any decision. A gap is a configuration error
 * ({@code onPolicyError}); the installer acts on the {@link Verdict}.
 *
 * <p>The probe is a {@code ServerSocket} bound to loopback port 0 (the OS picks a free port: no port an application
 * wants). While it runs, the bridge's {@code probe} and {@link #probing} name this thread: the bridge passes its
 * binds to the dispatcher whatever the policy admits, and the dispatcher only notes the site they came through
 * ({@link #arrived}) and returns: no decision, no log line, no event, no discovery record.
 */
public final class SelfTest {

    /** The thread whose binds are the self-test's probes, or null. */
    static volatile Thread probing;
    private static volatile int arrivedSites;
    private static volatile Verdict verdict;
    private static final CountDownLatch DONE = new CountDownLatch(1);

    private SelfTest() {
    }

    /** Called by the dispatcher for a probe bind: notes the site it came through. */
    static synchronized void arrived(int site) {
        arrivedSites |= 1 << site;
    }

    /** What the self-test found. */
    public static final class Verdict {
        /** One line per hook point in use: "A sun.nio.ch.Net.bind: applied, verified by a probe bind". */
        public final List<String> hooks;
        /** One line per gap; empty when every hook point in use is applied and the probe arrived. */
        public final List<String> gaps;
        /** Why the probe could not be made (not a gap: the hooks were checked as applied only), or null. */
        public final String probeNote;
        /** The letters of the points in use, "A, D". */
        public final String letters;

        Verdict(List<String> hooks, List<String> gaps, String probeNote, String letters) {
            this.hooks = Collections.unmodifiableList(hooks);
            this.gaps = Collections.unmodifiableList(gaps);
            this.probeNote = probeNote;
            this.letters = letters;
        }

        public boolean ok() {
            return gaps.isEmpty();
        }
    }

    /** The verdict of this JVM's self-test, or null before it ran (or when the agent never got that far). */
    public static Verdict verdict() {
        return verdict;
    }

    /** Waits (bounded) for the verdict; null if there is none in time. */
    public static Verdict awaitVerdict(long millis) throws InterruptedException {
        DONE.await(millis, TimeUnit.MILLISECONDS);
        return verdict;
    }

    /**
     * Runs the self-test: loads the classes of the hook points in use (so that they are rewritten now, if they were
     * not yet), checks that the transformer applied each point, then makes the probe bind. {@code bridge} must have
     * its dispatcher set (the dispatcher's engine may still be null: the bridge makes every other candidate bind wait
     * for {@code READY} meanwhile).
     */
    public static Verdict run(BindTransformer transformer, Class<?> bridge, int jdk, Properties props,
                              boolean udpAutoBind) {
        EnumSet<HookPoint> inUse = HookPoint.inUse(jdk, props, udpAutoBind);
        List<String> hooks = new ArrayList<String>();
        List<String> gaps = new ArrayList<String>();
        StringBuilder letters = new StringBuilder();
        for (HookPoint p : inUse) {
            try {
                Class.forName(p.className(), false, null);
            } catch (Throwable missing) {
                // reported as not applied below
            }
        }
        HookPoint probed = inUse.contains(HookPoint.LEGACY_TCP_BIND) ? HookPoint.LEGACY_TCP_BIND : HookPoint.NET_BIND;
        String probeNote = null;
        boolean probeArrived = false;
        if (transformer.applied().contains(probed)) {
            int sites = 0;
            try {
                sites = probe(bridge, new Runnable() {
                    @Override
                    public void run() {
                        try {
                            ServerSocket s = new ServerSocket();
                            try {
                                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                            } finally {
                                s.close();
                            }
                        } catch (java.io.IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                });
                probeArrived = (sites & (1 << probed.site())) != 0;
            } catch (Throwable t) {
                probeArrived = (arrivedSites & (1 << probed.site())) != 0;
                if (!probeArrived) {
                    probeNote = "the probe bind (ServerSocket, loopback port 0) could not be made, so the hooks"
                            + " were checked as applied only: " + (t.getCause() != null ? t.getCause() : t);
                }
            }
            if (!probeArrived && probeNote == null) {
                gaps.add(probed.describe() + ": applied, but the probe bind (ServerSocket, loopback port 0) did not"
                        + " reach the agent through it (another agent may have changed the JDK's socket code)");
            }
        }
        EnumSet<HookPoint> applied = EnumSet.noneOf(HookPoint.class);
        applied.addAll(transformer.applied());
        for (HookPoint p : inUse) {
            letters.append(letters.length() == 0 ? "" : ", ").append(p.letter());
            if (applied.contains(p)) {
                hooks.add(p.describe() + ": applied" + (p == probed && probeArrived ? ", verified by a probe bind"
                        : p == probed ? ", probe bind not seen" : ""));
            } else {
                String why = transformer.whyNotApplied(p);
                String line = p.describe() + ": NOT APPLIED (" + (why != null ? why
                        : "its class was not rewritten: not loaded, or loaded before the agent and not retransformed")
                        + ")";
                hooks.add(line);
                gaps.add(line);
            }
        }
        Verdict v = new Verdict(hooks, gaps, probeNote, letters.toString());
        verdict = v;
        DONE.countDown();
        return v;
    }

    /**
     * Runs {@code binds} with this thread marked as the probe; returns the sites its binds reached the dispatcher
     * through, one bit per site (its binds do not wait for {@code READY}).
     */
    public static synchronized int probe(Class<?> bridge, Runnable binds) throws Exception {
        java.lang.reflect.Field probe = bridge.getField("probe");
        arrivedSites = 0;
        probing = Thread.currentThread();
        probe.set(null, Thread.currentThread());
        try {
            binds.run();
            return arrivedSites;
        } finally {
            probe.set(null, null);
            probing = null;
        }
    }
}
