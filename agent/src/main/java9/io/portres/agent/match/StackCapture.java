package io.portres.agent.match;

import io.portres.policy.ClassMatcher;

import java.util.Iterator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * JDK 9+ version of {@code StackCapture} (multi-release jar). Two ways to read the stack, each where it is fastest
 * (BENCHMARKS.md):
 * <ul>
 *   <li>{@link StackWalker} for the caller alone: it fetches a first batch of frames and stops, about 1 µs
 *       however deep the stack;</li>
 *   <li>{@link ClassContextFrames} when a class condition must look further up (a frame 20 up: 1.0 µs against
 *       StackWalker's 4.7 µs on JDK 17; 2.3 against 3.2 on JDK 25). Where it is unavailable, StackWalker does this
 *       too.</li>
 * </ul>
 */
public final class StackCapture {

    private static final StackWalker WALKER = StackWalker.getInstance();

    private StackCapture() {
    }

    public static String[] callerFrames(int max) {
        return callerFramesUntil(max, null);
    }

    /**
     * Like {@link #callerFrames}, but stops after the first frame that {@code stop} matches (then the last element
     * is that frame), so that a class condition met near the bind does not walk the whole stack.
     */
    public static String[] callerFramesUntil(final int max, final ClassMatcher stop) {
        String[] fromClassContext = stop == null ? null : ClassContextFrames.until(max, stop);
        if (fromClassContext != null) {
            return fromClassContext;
        }
        return WALKER.walk(new Function<Stream<StackWalker.StackFrame>, String[]>() {
            @Override
            public String[] apply(Stream<StackWalker.StackFrame> frames) {
                String[] out = new String[max];
                int n = 0;
                Iterator<StackWalker.StackFrame> it = frames.iterator();
                while (it.hasNext() && n < max) {
                    String cls = it.next().getClassName();
                    if (n > 0 || !SocketCode.isSocketOrAgentFrame(cls)) {
                        out[n++] = cls;
                        if (stop != null && stop.matches(cls)) {
                            break;
                        }
                    }
                }
                if (n == max) {
                    return out;
                }
                String[] r = new String[n];
                System.arraycopy(out, 0, r, 0, n);
                return r;
            }
        });
    }
}
