package io.portres.agent.match;

import io.portres.policy.ClassMatcher;

/**
 * The binding thread's frames for a class condition, read with {@code SecurityManager.getClassContext()}: one native
 * walk that returns the classes of the whole stack, about 21 ns a frame on JDK 17 against {@code StackWalker}'s 124
 * (BENCHMARKS.md, {@code StackReadBench}). It needs only an instance of a subclass, which installs nothing. Both
 * versions of {@link StackCapture} (JDK 8, and JDK 9+ in the multi-release jar) use it, and fall back to their own
 * walk where it is unavailable (a security manager that refuses the subclass, or a future JDK without the class).
 * The JDK 9+ one uses it only up to JDK 23: from 24 the method is itself a {@code StackWalker} over the whole stack
 * (JEP 486), and a walker that stops at the matching frame is cheaper.
 */
final class ClassContextFrames {

    private static final Reader READER = reader();

    private ClassContextFrames() {
    }

    private static Reader reader() {
        try {
            return new Reader();
        } catch (Throwable refusedOrNoSecurityManagerClass) {
            return null;
        }
    }

    /** Only for its protected {@code getClassContext()}; never installed. */
    @SuppressWarnings("removal")
    static final class Reader extends SecurityManager {
        Reader() {
        }

        Class<?>[] classes() {
            return getClassContext();
        }
    }

    /**
     * At most {@code max} class names of frames above the socket code and the agent, nearest first, ending at the
     * first that {@code stop} matches; null when the class context cannot be read here.
     */
    static String[] until(int max, ClassMatcher stop) {
        if (READER == null) {
            return null;
        }
        Class<?>[] stack = READER.classes();
        String[] out = new String[Math.min(max, stack.length)];
        int n = 0;
        for (int i = 0; i < stack.length && n < out.length; i++) {
            String cls = stack[i].getName();
            if (cls.indexOf('/') >= 0) {
                continue; // a hidden class (a lambda's proxy): StackWalker and stack traces do not show these either
            }
            if (n > 0 || !SocketCode.isSocketOrAgentFrame(cls)) {
                out[n++] = cls;
                if (stop.matches(cls)) {
                    break;
                }
            }
        }
        return trim(out, n);
    }

    /** The first {@code n} elements of {@code a} ({@code a} itself when that is all of it). */
    static String[] trim(String[] a, int n) {
        if (n == a.length) {
            return a;
        }
        String[] r = new String[n];
        System.arraycopy(a, 0, r, 0, n);
        return r;
    }
}
