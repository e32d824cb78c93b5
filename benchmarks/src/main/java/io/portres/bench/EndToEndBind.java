package io.portres.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * A real bind: open a {@link ServerSocketChannel}, bind it to port 0 on loopback, close it. run.sh runs it three
 * times with different {@code -jvmArgsAppend}: bare, {@code -javaagent} with a policy that does not match, and with
 * one that matches port 0 (audit). System calls dominate and vary: the differences are noisy.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EndToEndBind {

    private static final InetSocketAddress LOOPBACK_ANY_PORT =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Benchmark
    public int bindClose() throws IOException {
        try (ServerSocketChannel c = ServerSocketChannel.open()) {
            c.bind(LOOPBACK_ANY_PORT);
            return c.socket().getLocalPort();
        }
    }
}
