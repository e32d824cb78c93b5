package io.portres.agent.jdk;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The two privileged operations on {@code java.base} that the agent needs, per JDK (multi-release jar). This is the
 * JDK 8 version; {@code META-INF/versions/9} holds the JDK 9+ one, which calls the module APIs directly (through
 * reflection they cost about 2 ms more of start-up: each first {@code getMethod} builds its class's method table).
 */
public final class JavaBase {

    private JavaBase() {
    }

    /** JDK 8 has no modules: nothing to open. */
    public static void openToAgent(Instrumentation inst) {
    }

    /** Defines a class in the bootstrap loader: {@code Unsafe.defineClass} with a null loader. */
    public static Class<?> define(byte[] bytes, String name) throws Exception {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                ClassLoader.class, java.security.ProtectionDomain.class);
        return (Class<?>) define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
    }

    /** A lookup with private access in {@code target}: JDK 8 has no {@code privateLookupIn}, so the full-privilege
     *  Lookup constructor, as every JDK 8 agent does. */
    public static java.lang.invoke.MethodHandles.Lookup privateLookup(Class<?> target) throws Exception {
        if (JdkVersion.FEATURE >= 9) { // only where this class is read outside the jar (unit tests on target/classes)
            return (java.lang.invoke.MethodHandles.Lookup) java.lang.invoke.MethodHandles.class.getMethod(
                    "privateLookupIn", Class.class, java.lang.invoke.MethodHandles.Lookup.class)
                    .invoke(null, target, java.lang.invoke.MethodHandles.lookup());
        }
        java.lang.reflect.Constructor<java.lang.invoke.MethodHandles.Lookup> c =
                java.lang.invoke.MethodHandles.Lookup.class.getDeclaredConstructor(Class.class, int.class);
        c.setAccessible(true);
        return c.newInstance(target, -1);
    }
}
