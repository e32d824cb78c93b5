package io.portres.bench;

import io.portres.bench.app.Server;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/**
 * A real bind: open a {@link ServerSocketChannel}, bind it to port 0 on loopback, close it; with the packaged agent
 * as {@code -javaagent} (its classes come from that jar only) or without. run.sh runs each variant in forks of its
 * own, with different {@code -jvmArgsAppend}, on JDK 17 and 25:
 * <ul>
 *   <li>{@link #bindClose}: bare; a policy whose rules do not admit port 0 (unmatched); a rule {@code port: 0}
 *       (matched by port, audit); the same rule in enforce mode on the Linux backend (bound in a 1,000-port
 *       block);</li>
 *   <li>{@link #bindCloseDeep}: the same bind {@link Policies#DEPTH} frames below {@link Server}; bare, and with a
 *       rule {@code port: 0, class: "io.portres.bench.app.**"} (matched by class, audit), which only Server's frame
 *       satisfies: the agent reads the stack up to it. Its bare run is the reference, since the frames cost a little
 *       by themselves.</li>
 * </ul>
 * System calls dominate and vary between forks: run several forks (run.sh: 3).
 *
 * <p>With {@code -Dportres.bench.expectRule=NAME}, the fork checks at the end, through the agent's MBean (read after
 * the measurement), that the agent was active and that rule NAME of its policy matched binds ({@code none}: that no
 * rule did): a figure whose rule never matched would measure something else. It prints the counts of every rule that
 * matched.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class EndToEndBind {

    private static final InetSocketAddress LOOPBACK_ANY_PORT =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Benchmark
    public int bindClose() throws IOException {
        return bindClose(LOOPBACK_ANY_PORT);
    }

    @Benchmark
    public int bindCloseDeep() throws IOException {
        return Server.bindClose(LOOPBACK_ANY_PORT);
    }

    /** Opens a channel, binds it to {@code local}, closes it; returns the bound port. */
    public static int bindClose(InetSocketAddress local) throws IOException {
        try (ServerSocketChannel c = ServerSocketChannel.open()) {
            c.bind(local);
            return c.socket().getLocalPort();
        }
    }

    /** After the measurement: the agent's per-rule counts, and the check of {@code portres.bench.expectRule}. */
    @TearDown(Level.Trial)
    public void checkRule() throws Exception {
        String expected = System.getProperty("portres.bench.expectRule");
        if (expected == null) {
            return;
        }
        // The first MBean server makes the agent register its MBean, on the agent's own thread: wait for it.
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("portres:type=Agent");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!server.isRegistered(name)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no portres MBean: is the agent there?");
            }
            Thread.sleep(10);
        }
        String mode = (String) server.getAttribute(name, "Mode");
        System.out.println("portres mode " + mode);
        if ("inactive".equals(mode)) {
            throw new IllegalStateException("the agent is inactive: this run measured no agent");
        }
        long matched = -1;
        long matchedByAny = 0;
        for (CompositeData rule : (CompositeData[]) server.getAttribute(name, "Rules")) {
            long m = (Long) rule.get("matched");
            matchedByAny += m;
            if (m > 0) {
                System.out.println("portres rule '" + rule.get("name") + "': matched " + m + ", audited "
                        + rule.get("audited") + ", associated " + rule.get("associated") + ", failed "
                        + rule.get("failed") + ", continued " + rule.get("continued"));
            }
            if (expected.equals(rule.get("name"))) {
                matched = m;
            }
        }
        if ("none".equals(expected) ? matchedByAny != 0 : matched <= 0) {
            throw new IllegalStateException(("none".equals(expected) ? "rules matched " + matchedByAny
                    : "rule '" + expected + "' matched " + matched) + " binds: this run did not measure what it is"
                    + " named after");
        }
    }
}
