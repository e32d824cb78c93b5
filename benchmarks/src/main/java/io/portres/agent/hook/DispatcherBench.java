package io.portres.agent.hook;

import io.portres.agent.Engine;
import io.portres.agent.backend.AuditBackend;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.AsyncWriter;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.LineSink;
import io.portres.bench.Policies;
import io.portres.bench.app.Server;
import io.portres.policy.LogLevel;
import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Rule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The dispatcher's per-bind cost, in process: {@code BindDispatcher.before}/{@code nativeBind}/{@code after} for an
 * NIO bind (site A), reached through {@link Policies#DEPTH} frames below {@code io.portres.bench.app.Server}, on a
 * real socket (see {@link DispatcherAccess}). Audit backend, log level warn; events off, or on (written by the
 * agent's writer thread to a temporary file that rotates at 16 MiB: the agent refuses a device such as /dev/null as
 * its events file). Subtract {@link CallPathBench#noop} for the cost the agent adds.
 *
 * <p>The matched cases ({@code matchedByPort}, {@code matchedByClass}) pass a socket that is really bound, kept
 * open for the whole run, to a stand-in bridge whose native bind does nothing, so that the verdict reads a real
 * port back with {@code getsockname}, as in a real bind, and the bind is recorded {@code audited}; {@link #setUp}
 * checks both before anything is timed. The socket is bound once rather than per call: a per-call
 * open/bind/close would add the system calls that audit mode leaves exactly as they are without the agent
 * (and their noise, several microseconds) to a figure of tens of nanoseconds to a few microseconds. The
 * whole bind with and without the agent, those system calls included, is {@code io.portres.bench.EndToEndBind},
 * the reference for the goals; these cases add what it cannot vary: the policy's size and the events.
 * (Until the harness had a socket, the matched cases timed an association failure: the verdict found no port.)
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar:<the agent's core as a jar> org.openjdk.jmh.Main
 * DispatcherBench} (see run.sh).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
    "java.base/java.io=ALL-UNNAMED"})
public class DispatcherBench {

    @Param({"small", "10k", "10k-100cls"})
    public String policy;

    @Param({"off", "on"})
    public String events;

    @Setup
    public void setUp() throws Exception {
        Policy p = PolicyLoader.parse(Policies.text(policy), policy + ".yaml", null);
        if (!p.warnings().isEmpty()) {
            throw new IllegalStateException("benchmark policy has warnings: " + p.warnings());
        }
        if ("on".equals(events)) {
            eventsDir = java.nio.file.Files.createTempDirectory("portres-bench");
        }
        EventLog eventLog = eventsDir == null ? null
                : new EventLog(LineSink.file(eventsDir.resolve("events.jsonl"), false, 16L << 20, 1));
        Engine engine = new Engine(p, new AuditBackend(), new AgentLog(LogLevel.WARN, LineSink.stderr()), eventLog);
        DispatcherAccess.install(engine);
        check(engine, Policies.UNMATCHED_PORT, null);
        check(engine, 0, "by-port");
        check(engine, Policies.CLASS_PORT, "by-class");
        checkRecorded(engine, 0, "by-port");
        checkRecorded(engine, Policies.CLASS_PORT, "by-class");
    }

    /**
     * One matched bind of the benchmark's own path must reach the native bind (the stand-in bridge sees its port)
     * and be recorded as audited by its rule: else the matched figures would time some other path.
     */
    private static void checkRecorded(Engine engine, int port, String ruleName) throws IOException {
        Rule rule = null;
        for (Rule r : engine.policy().rules()) {
            if (r.name().equals(ruleName)) {
                rule = r;
            }
        }
        long before = engine.count(rule.index(), "audited");
        DispatcherAccess.Bridge.lastPort = -1;
        Server.start(DispatcherAccess.BIND, port);
        if (DispatcherAccess.Bridge.lastPort != port || engine.count(rule.index(), "audited") != before + 1) {
            throw new IllegalStateException("port " + port + ": native bind saw " + DispatcherAccess.Bridge.lastPort
                    + ", rule " + ruleName + " audited " + (engine.count(rule.index(), "audited") - before)
                    + " times: the matched bind did not take the real path");
        }
    }

    /** The scenarios must meet the rules they are named after, or the figures mean nothing. */
    private static void check(Engine engine, int port, String expectedRule) {
        Rule[] r = engine.matcher().candidates(io.portres.policy.Protocol.TCP, port).toArray(new Rule[0]);
        String last = r.length == 0 ? null : r[r.length - 1].name();
        if (expectedRule == null ? r.length != 0 : !expectedRule.equals(last)) {
            throw new IllegalStateException("port " + port + ": candidates end with " + last + ", expected "
                    + expectedRule);
        }
    }

    private java.nio.file.Path eventsDir;

    @TearDown
    public void tearDown() throws Exception {
        AsyncWriter.flush(10000);
        DispatcherAccess.install(null);
        if (eventsDir != null) {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(eventsDir)) {
                for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) files::iterator) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            }
            java.nio.file.Files.deleteIfExists(eventsDir);
            eventsDir = null;
        }
    }

    /** Port 40000: no rule admits it. Must return after the port table read: no stack walk, no allocation. */
    @Benchmark
    public int unmatched() throws IOException {
        return Server.start(DispatcherAccess.BIND, Policies.UNMATCHED_PORT);
    }

    /**
     * Port 0: rule {@code by-port}; the socket's protocol ({@code getsockopt}), audit decision, the bound port read
     * back ({@code getsockname}), caller lookup and event if on.
     */
    @Benchmark
    public int matchedByPort() throws IOException {
        return Server.start(DispatcherAccess.BIND, 0);
    }

    /** Port 7002: rule {@code by-class}, satisfied by a frame {@link Policies#DEPTH} frames up; else as by port. */
    @Benchmark
    public int matchedByClass() throws IOException {
        return Server.start(DispatcherAccess.BIND, Policies.CLASS_PORT);
    }
}
