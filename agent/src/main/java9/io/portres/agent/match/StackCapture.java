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
 *   <li>{@code SecurityManager.getClassContext()} when a class condition must look further up: one native walk
 *       that returns the classes of the whole stack, about 21 ns a frame on JDK 17 against StackWalker's 124 (a
 *       frame 20 up: 1.0 µs against 4.7 µs; on JDK 25 2.3 µs against 3.2). It needs only an instance of a
 *       subclass, which installs nothing; JDK 24+ disabled the Security Manager itself, not this method. Should a
 *       future JDK drop the class, StackWalker does this too.</li>
 * </ul>
 */
public final class StackCapture {

    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final ClassContext CLASS_CONTEXT = classContext();

    /** Null where the JDK has no usable SecurityManager class (a future JDK may remove it): StackWalker then. */
    private static ClassContext classContext() {
        try {
            return ClassContext.create();
        } catch (Throwable noSecurityManagerClass) {
            return null;
        }
    }

    /** Only for its protected {@code getClassContext()}; never installed. */
    @SuppressWarnings("removal")
    private static final class ClassContext extends SecurityManager {
        static ClassContext create() {
            try {
                return new ClassContext();
            } catch (Throwable refusedByAnInstalledSecurityManager) {
                return null;
            }
        }

        Class<?>[] classes() {
            return getClassContext();
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
    public static String[] callerFramesUntil(final int max, final ClassMatcher stop) {
        if (stop != null && CLASS_CONTEXT != null) {
            return fromClassContext(max, stop);
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

    private static String[] fromClassContext(int max, ClassMatcher stop) {
        Class<?>[] stack = CLASS_CONTEXT.classes();
        String[] out = new String[Math.min(max, stack.length)];
        int n = 0;
        for (int i = 0; i < stack.length && n < out.length; i++) {
            String cls = stack[i].getName();
            if (cls.indexOf('/') >= 0) {
                continue; // a hidden class (a lambda's proxy): StackWalker does not show these either
            }
            if (n > 0 || !SocketCode.isSocketOrAgentFrame(cls)) {
                out[n++] = cls;
                if (stop.matches(cls)) {
                    break;
                }
            }
        }
        if (n == out.length) {
            return out;
        }
        String[] r = new String[n];
        System.arraycopy(out, 0, r, 0, n);
        return r;
    }
}
