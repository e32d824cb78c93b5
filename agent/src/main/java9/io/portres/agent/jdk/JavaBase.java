package io.portres.agent.jdk;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** JDK 9+ version of {@code JavaBase} (multi-release jar): the module APIs, called directly. */
public final class JavaBase {

    private JavaBase() {
    }

    /**
     * Opens {@code sun.nio.ch} (the bridge's package; {@code Net}, {@code IOUtil}), {@code java.io}
     * (FileDescriptor) and {@code java.net} (legacy socket impls, for backends that need a second handle) to the
     * agent's module only; the application's modules see no change. Opened, not exported: the agent reaches them
     * only reflectively, and each extra kind of edge costs {@code redefineModule} one more lambda to spin.
     */
    public static void openToAgent(Instrumentation inst) {
        Set<Module> toAgent = Collections.singleton(JavaBase.class.getModule());
        Map<String, Set<Module>> opens = new HashMap<>();
        opens.put("sun.nio.ch", toAgent);
        opens.put("java.io", toAgent);
        opens.put("java.net", toAgent);
        inst.redefineModule(Object.class.getModule(), Collections.emptySet(), Collections.emptyMap(), opens,
                Collections.emptySet(), Collections.emptyMap());
    }

    /** Defines a class of {@code sun.nio.ch} in java.base, through a private lookup in that package. */
    public static Class<?> define(byte[] bytes, String name) throws Exception {
        Class<?> anchor = Class.forName("sun.nio.ch.Interruptible", false, null);
        return MethodHandles.privateLookupIn(anchor, MethodHandles.lookup()).defineClass(bytes);
    }

    /**
     * A lookup with private access in {@code target} (its package is opened to this module by {@link #openToAgent}).
     * Called directly: through reflection, a caller-sensitive method makes the JDK parse its annotations and spin an
     * annotation proxy first (milliseconds of start-up on JDK 17).
     */
    public static MethodHandles.Lookup privateLookup(Class<?> target) throws IllegalAccessException {
        return MethodHandles.privateLookupIn(target, MethodHandles.lookup());
    }
}
