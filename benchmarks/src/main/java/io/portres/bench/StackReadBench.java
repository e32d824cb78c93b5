package io.portres.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.EnumSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * The ways {@code StackCapture} reads the binding thread's stack, alone: {@code StackWalker},
 * {@code SecurityManager.getClassContext()} (up to JDK 23) and a walker of class references without method
 * information that stops at the class (JDK 24+), to a class {@code depth} frames up (what a class condition does),
 * and {@code StackWalker} to the nearest frame only (what the event's caller needs). {@code noop} is the recursion
 * alone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class StackReadBench {

    @Param({"20", "200"})
    public int depth;

    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final String TARGET = Top.class.getName();
    private static final String NEAREST = Layer.class.getName();

    /** Only for its protected getClassContext(); never installed. */
    @SuppressWarnings("removal")
    private static final class ClassContext extends SecurityManager {
        Class<?>[] classes() {
            return getClassContext();
        }
    }

    private static final ClassContext CONTEXT = new ClassContext();

    /** The class a condition looks for, below {@code depth} frames of {@link Layer}. */
    static final class Top {
        static int run(int depth, IntSupplier read) {
            return Layer.run(depth, read);
        }
    }

    static final class Layer {
        static int run(int depth, IntSupplier read) {
            return depth == 0 ? read.getAsInt() : run(depth - 1, read) + 0;
        }
    }

    private static final Function<Stream<StackWalker.StackFrame>, Integer> TO_TARGET = toFrame(TARGET, false);
    private static final Function<Stream<StackWalker.StackFrame>, Integer> TO_NEAREST = toFrame(NEAREST, false);

    /** The index of the first frame of class {@code name}, by its class name or by its class reference's name. */
    private static Function<Stream<StackWalker.StackFrame>, Integer> toFrame(String name, boolean byClassReference) {
        return frames -> {
            int n = 0;
            for (Iterator<StackWalker.StackFrame> it = frames.iterator(); it.hasNext(); n++) {
                StackWalker.StackFrame f = it.next();
                if ((byClassReference ? f.getDeclaringClass().getName() : f.getClassName()).equals(name)) {
                    return n;
                }
            }
            return -1;
        };
    }

    /** Class references without method information (JDK 22+: DROP_METHOD_INFO), what getClassContext uses on 24+. */
    private static final StackWalker CLASS_WALKER = classWalker();

    private static StackWalker classWalker() {
        Set<StackWalker.Option> options = EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        try {
            options.add(StackWalker.Option.valueOf("DROP_METHOD_INFO"));
        } catch (IllegalArgumentException beforeJdk22) {
            // class references with method information
        }
        return StackWalker.getInstance(options);
    }

    private static final Function<Stream<StackWalker.StackFrame>, Integer> CLASSES_TO_TARGET = toFrame(TARGET, true);

    private static final IntSupplier NOOP = () -> 1;
    private static final IntSupplier WALKER_TO_TARGET = () -> WALKER.walk(TO_TARGET);
    private static final IntSupplier WALKER_TO_NEAREST = () -> WALKER.walk(TO_NEAREST);
    private static final IntSupplier CLASS_WALKER_TO_TARGET = () -> CLASS_WALKER.walk(CLASSES_TO_TARGET);
    private static final IntSupplier CLASS_CONTEXT_TO_TARGET = () -> {
        Class<?>[] stack = CONTEXT.classes();
        for (int i = 0; i < stack.length; i++) {
            if (stack[i].getName().equals(TARGET)) {
                return i;
            }
        }
        return -1;
    };

    @Benchmark
    public int noop() {
        return Top.run(depth, NOOP);
    }

    @Benchmark
    public int walkerToTarget() {
        return Top.run(depth, WALKER_TO_TARGET);
    }

    @Benchmark
    public int classWalkerToTarget() {
        return Top.run(depth, CLASS_WALKER_TO_TARGET);
    }

    @Benchmark
    public int classContextToTarget() {
        return Top.run(depth, CLASS_CONTEXT_TO_TARGET);
    }

    @Benchmark
    public int walkerToNearest() {
        return Top.run(depth, WALKER_TO_NEAREST);
    }
}
