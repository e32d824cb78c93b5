package io.portres.agent.match;

import io.portres.agent.jdk.JdkVersion;
import io.portres.policy.ClassMatcher;

import java.util.EnumSet;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * JDK 9+ version of {@code StackCapture} (multi-release jar). Three ways to read the stack, each where it is fastest
 * (BENCHMARKS.md, {@code StackReadBench}):
 * <ul>
 *   <li>{@link StackWalker} for the caller alone: it fetches a first batch of frames and stops, about 1 µs
 *       however deep the stack;</li>
 *   <li>up to JDK 23, {@link ClassContextFrames} when a class condition must look further up (a frame 20 up: 1.0 µs
 *       against StackWalker's 4.7 µs on JDK 17): one native walk of the whole stack;</li>
 *   <li>from JDK 24, where {@code getClassContext()} is itself a {@code StackWalker} over the whole stack (JEP 486
 *       left the method, not its native walk), a walker of class references without method information
 *       ({@code DROP_METHOD_INFO}, JDK 22+) that stops at the first frame the condition matches: 1.7 µs against
 *       2.8 on JDK 25 for a frame 20 up.</li>
 * </ul>
 * Where the class context is unavailable, the plain walker does the class condition's walk too.
 */
public final class StackCapture {

    private static final StackWalker WALKER = StackWalker.getInstance();

    /** JDK 24+ only (see the class comment); null before. */
    private static final StackWalker CLASS_WALKER = classWalker();

    private static StackWalker classWalker() {
        if (JdkVersion.FEATURE < 24) {
            return null;
        }
        try {
            Set<StackWalker.Option> options = EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE,
                    StackWalker.Option.valueOf("DROP_METHOD_INFO"));
            return StackWalker.getInstance(options);
        } catch (RuntimeException unavailable) {
            return null; // no such option, or a security manager refused the class references: the class context
        }
    }

    private StackCapture() {
    }

    public static String[] callerFrames(int max) {
        return callerFramesUntil(max, null);
    }

    /**
     * Like {@link #callerFrames}, but stops after the first frame that {@code stop} matches (then the last element
     * is that frame), so that a class condition met near the bind does not walk the whole stack.
     */
    public static String[] callerFramesUntil(int max, ClassMatcher stop) {
        if (stop != null && CLASS_WALKER != null) {
            return CLASS_WALKER.walk(new Until(max, stop, true));
        }
        String[] fromClassContext = stop == null ? null : ClassContextFrames.until(max, stop);
        if (fromClassContext != null) {
            return fromClassContext;
        }
        return WALKER.walk(new Until(max, stop, false));
    }

    /** One walk: the frames above the socket code and the agent, up to {@code max} or the frame {@code stop} meets. */
    private static final class Until implements Function<Stream<StackWalker.StackFrame>, String[]> {
        private final int max;
        private final ClassMatcher stop;
        /** The walker retains class references (and perhaps no method information, so no class name of its own). */
        private final boolean classReferences;

        Until(int max, ClassMatcher stop, boolean classReferences) {
            this.max = max;
            this.stop = stop;
            this.classReferences = classReferences;
        }

        @Override
        public String[] apply(Stream<StackWalker.StackFrame> frames) {
            String[] out = new String[max];
            int n = 0;
            Iterator<StackWalker.StackFrame> it = frames.iterator();
            while (it.hasNext() && n < max) {
                StackWalker.StackFrame frame = it.next();
                String cls = classReferences ? frame.getDeclaringClass().getName() : frame.getClassName();
                if (n > 0 || !SocketCode.isSocketOrAgentFrame(cls)) {
                    out[n++] = cls;
                    if (stop != null && stop.matches(cls)) {
                        break;
                    }
                }
            }
            return ClassContextFrames.trim(out, n);
        }
    }
}
