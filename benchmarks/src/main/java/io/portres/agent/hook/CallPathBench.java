package io.portres.agent.hook;

import io.portres.bench.Policies;
import io.portres.bench.app.Server;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * {@link DispatcherBench}'s call path without the dispatcher: {@code noop} is what the harness itself costs;
 * {@code stackCapture} is the agent's caller lookup alone ({@code StackCapture.callerFrames(128)}, the walk a matched
 * bind makes once), from the same depth.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CallPathBench {

    @Benchmark
    public int noop() throws IOException {
        return Server.start(DispatcherAccess.NOOP, Policies.UNMATCHED_PORT);
    }

    @Benchmark
    public int stackCaptureToApp() throws IOException {
        return Server.start(DispatcherAccess.CAPTURE_TO_APP, Policies.UNMATCHED_PORT);
    }

    @Benchmark
    public int stackCapture() throws IOException {
        return Server.start(DispatcherAccess.CAPTURE, Policies.UNMATCHED_PORT);
    }
}
