package io.portres.stacktest;

import io.portres.agent.match.StackCapture;
import io.portres.policy.ClassMatcher;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a class condition reads of the stack. In a package of its own: frames of {@code io.portres.agent.} count as
 * the agent's and are skipped at the bottom of the stack, as the JDK socket code's are.
 */
class StackCaptureTest {

    static final class Top {
        static <T> T run(int depth, Supplier<T> read) {
            return Layer.run(depth, read);
        }
    }

    static final class Layer {
        static <T> T run(int depth, Supplier<T> read) {
            T r = depth == 0 ? read.get() : run(depth - 1, read);
            return r; // not a tail call: each level stays a frame
        }
    }

    private static ClassMatcher matcher(String pattern) {
        return ClassMatcher.of(Collections.singletonList(pattern));
    }

    @Test
    void aClassConditionStopsAtTheFirstFrameThatMeetsIt() {
        String[] frames = Top.run(5, () -> StackCapture.callerFramesUntil(128, matcher(Top.class.getName())));

        // nearest first: the lambda's body (this class; the agent's frames below it skipped), six Layers, Top
        assertThat(frames[0]).isEqualTo(StackCaptureTest.class.getName());
        assertThat(frames[frames.length - 1]).isEqualTo(Top.class.getName());
        assertThat(frames).hasSize(8);
        assertThat(Arrays.copyOfRange(frames, 1, 7)).containsOnly(Layer.class.getName());
    }

    @Test
    void whatItReadsIsTheStartOfTheWholeStack() {
        String[][] both = Top.run(3, () -> new String[][] {
                StackCapture.callerFramesUntil(128, matcher(Top.class.getName())), StackCapture.callerFrames(128)});
        String[] until = both[0];
        String[] all = both[1];

        assertThat(all.length).isGreaterThan(until.length);
        assertThat(Arrays.copyOf(all, until.length)).containsExactly(until);
        assertThat(all).contains(StackCaptureTest.class.getName());
    }

    @Test
    void aConditionNoFrameMeetsReadsTheWholeStack() {
        String[][] both = Top.run(3, () -> new String[][] {
                StackCapture.callerFramesUntil(128, matcher("com.example.Absent")), StackCapture.callerFrames(128)});

        assertThat(withoutReflection(both[0])).containsExactly(withoutReflection(both[1]));
    }

    /** The class context leaves out core reflection's frames ({@code Method.invoke}), a StackWalker shows them. */
    private static String[] withoutReflection(String[] frames) {
        return Arrays.stream(frames).filter(f -> !f.startsWith("jdk.internal.reflect.")
                && !f.startsWith("java.lang.reflect.") && !f.startsWith("sun.reflect.")).toArray(String[]::new);
    }

    @Test
    void atMostTheFramesAskedForAreRead() {
        String[] frames = Top.run(10, () -> StackCapture.callerFramesUntil(4, matcher(Top.class.getName())));

        assertThat(frames).containsExactly(StackCaptureTest.class.getName(), Layer.class.getName(),
                Layer.class.getName(), Layer.class.getName());
    }
}
