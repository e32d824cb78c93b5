package io.portres.agent.match;

import io.portres.policy.ClassMatcher;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * The binding thread's frames above the JDK socket code, nearest first.
 *
 * <p>JDK 8 version: for the caller alone, fills a Throwable's backtrace (native, cheap) and reads elements one by
 * one through {@code sun.misc.JavaLangAccess}, stopping as soon as enough frames are known, instead of
 * materialising the whole {@code StackTraceElement[]}. When a class condition must look further up,
 * {@link ClassContextFrames} (no StackTraceElement at all). The JDK 9+ version ({@code META-INF/versions/9}) uses
 * {@code StackWalker} and the same class context.
 */
public final class StackCapture {

    private static final MethodHandle DEPTH;
    private static final MethodHandle ELEMENT;
    private static final Object ACCESS;

    static {
        MethodHandle depth = null;
        MethodHandle element = null;
        Object access = null;
        try {
            Class<?> secrets = Class.forName("sun.misc.SharedSecrets");
            access = secrets.getMethod("getJavaLangAccess").invoke(null);
            Class<?> jla = Class.forName("sun.misc.JavaLangAccess");
            Method d = jla.getMethod("getStackTraceDepth", Throwable.class);
            Method e = jla.getMethod("getStackTraceElement", Throwable.class, int.class);
            depth = MethodHandles.publicLookup().unreflect(d).asType(
                    MethodType.methodType(int.class, Object.class, Throwable.class));
            element = MethodHandles.publicLookup().unreflect(e).asType(
                    MethodType.methodType(StackTraceElement.class, Object.class, Throwable.class, int.class));
        } catch (Throwable unavailable) {
            depth = null;
            element = null;
        }
        DEPTH = depth;
        ELEMENT = element;
        ACCESS = access;
    }

    private StackCapture() {
    }

    /** At most {@code max} class names of frames above the socket code and the agent, nearest first. */
    public static String[] callerFrames(int max) {
        return callerFramesUntil(max, null);
    }

    /**
     * Like {@link #callerFrames}, but stops after the first frame that {@code stop} matches (then the last element
     * is that frame), so that a class condition met near the bind does not read the whole stack.
     */
    public static String[] callerFramesUntil(int max, ClassMatcher stop) {
        String[] fromClassContext = stop == null ? null : ClassContextFrames.until(max, stop);
        if (fromClassContext != null) {
            return fromClassContext;
        }
        Throwable t = new Throwable();
        if (DEPTH != null) {
            try {
                int depth = (int) DEPTH.invokeExact(ACCESS, t);
                String[] out = new String[Math.min(max, depth)];
                int n = 0;
                for (int i = 0; i < depth && n < out.length; i++) {
                    String cls = ((StackTraceElement) ELEMENT.invokeExact(ACCESS, t, i)).getClassName();
                    if (n > 0 || !SocketCode.isSocketOrAgentFrame(cls)) {
                        out[n++] = cls;
                        if (stop != null && stop.matches(cls)) {
                            break;
                        }
                    }
                }
                return ClassContextFrames.trim(out, n);
            } catch (Throwable fallThrough) {
                // use the portable path below
            }
        }
        StackTraceElement[] all = t.getStackTrace();
        String[] out = new String[Math.min(max, all.length)];
        int n = 0;
        for (int i = 0; i < all.length && n < out.length; i++) {
            String cls = all[i].getClassName();
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
