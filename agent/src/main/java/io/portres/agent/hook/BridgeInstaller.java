package io.portres.agent.hook;

import io.portres.agent.Streams;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Defines {@link BindBridge} inside {@code java.base} as {@code sun.nio.ch.PortresBridge}, in the bootstrap loader.
 *
 * <p>Why not a bootstrap class-path append: on JDK 17 it prints "Sharing is only supported for boot loader classes
 * because bootstrap classpath has been appended" and turns off class sharing for the application. Defining one
 * class into an existing boot package has neither effect (JaCoCo does the same for {@code java.lang.$JaCoCo}).
 *
 * <p>JDK 9+: {@code sun.nio.ch} is opened to the agent's own (unnamed) module only, with
 * {@link Instrumentation#redefineModule}; the application's modules see no change. Then
 * {@code MethodHandles.privateLookupIn(<a sun.nio.ch class>).defineClass(bytes)}. JDK 8: {@code Unsafe.defineClass}
 * with a null loader. Both paths go through reflection because the agent is compiled for Java 8.
 */
public final class BridgeInstaller {

    public static final String BRIDGE_CLASS = "sun.nio.ch.PortresBridge";
    private static final String SOURCE_INTERNAL = "io/portres/agent/hook/BindBridge";

    private BridgeInstaller() {
    }

    /** The bridge if an earlier copy of the agent defined it already, else null. */
    public static Class<?> existingBridge() {
        try {
            return Class.forName(BRIDGE_CLASS, false, null);
        } catch (Throwable notThere) {
            return null;
        }
    }

    /**
     * Opens the JDK packages the agent reads (JDK 9+) and defines the bridge. Throws if anything fails; the caller
     * then leaves the JVM uninstrumented.
     */
    public static Class<?> install(Instrumentation inst) throws Exception {
        openJdkPackages(inst);
        return defineInJavaBase(renamedBridge(), BRIDGE_CLASS);
    }

    /**
     * Defines the agent class {@code sourceInternal} (no nested classes, JDK types only) renamed to
     * {@code targetName}, a class of {@code sun.nio.ch}, in {@code java.base}; returns the existing class if it was
     * defined already. JDK 9+ only after {@link #install} opened {@code sun.nio.ch} to the agent.
     */
    public static Class<?> defineRenamed(String sourceInternal, String targetName) throws Exception {
        try {
            return Class.forName(targetName, false, null);
        } catch (ClassNotFoundException notYet) {
            // define it below
        }
        byte[] bytes = ClassRenamer.rename(readResource(sourceInternal + ".class"), sourceInternal,
                targetName.replace('.', '/'));
        try {
            return defineInJavaBase(bytes, targetName);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof LinkageError) { // defined meanwhile by another thread
                return Class.forName(targetName, false, null);
            }
            throw e;
        }
    }

    private static Class<?> defineInJavaBase(byte[] bytes, String name) throws Exception {
        if (JdkVersion.FEATURE >= 9) {
            Class<?> anchor = Class.forName("sun.nio.ch.Interruptible", false, null);
            Method privateLookupIn = MethodHandles.class.getMethod("privateLookupIn", Class.class,
                    MethodHandles.Lookup.class);
            Object lookup = privateLookupIn.invoke(null, anchor, MethodHandles.lookup());
            Method defineClass = MethodHandles.Lookup.class.getMethod("defineClass", byte[].class);
            return (Class<?>) defineClass.invoke(lookup, (Object) bytes);
        }
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                ClassLoader.class, java.security.ProtectionDomain.class);
        return (Class<?>) define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
    }

    /**
     * JDK 9+: export and open {@code sun.nio.ch} (the bridge's package; {@code Net}, {@code IOUtil}) and open
     * {@code java.io} (FileDescriptor) and {@code java.net} (legacy socket impls, for backends that need a second
     * handle) to the agent's module only. Without this JDK 16+ refuses the reflective access outright.
     */
    private static void openJdkPackages(Instrumentation inst) throws Exception {
        if (JdkVersion.FEATURE < 9) {
            return;
        }
        Method getModule = Class.class.getMethod("getModule");
        Object javaBase = getModule.invoke(Object.class);
        Object agentModule = getModule.invoke(BridgeInstaller.class);
        Set<Object> toAgent = Collections.singleton(agentModule);
        Map<String, Set<Object>> exports = new HashMap<String, Set<Object>>();
        exports.put("sun.nio.ch", toAgent);
        Map<String, Set<Object>> opens = new HashMap<String, Set<Object>>();
        opens.put("sun.nio.ch", toAgent);
        opens.put("java.io", toAgent);
        opens.put("java.net", toAgent);
        Class<?> moduleClass = Class.forName("java.lang.Module");
        Method redefineModule = Instrumentation.class.getMethod("redefineModule", moduleClass, Set.class, Map.class,
                Map.class, Set.class, Map.class);
        redefineModule.invoke(inst, javaBase, new HashSet<Object>(), exports, opens, new HashSet<Class<?>>(),
                new HashMap<Class<?>, java.util.List<Class<?>>>());
    }

    static byte[] renamedBridge() throws IOException {
        return ClassRenamer.rename(readResource(SOURCE_INTERNAL + ".class"), SOURCE_INTERNAL,
                BRIDGE_CLASS.replace('.', '/'));
    }

    /**
     * A class file of the agent, read from the agent's jar (or classes folder) directly. Not through
     * {@code ClassLoader.getResourceAsStream}: on JDK 9+ that first asks the boot and platform loaders, which look
     * for a resource outside their packages in every module of the runtime image and cost about 4 ms of start-up.
     */
    private static byte[] readResource(String name) throws IOException {
        try {
            java.security.CodeSource source = BridgeInstaller.class.getProtectionDomain().getCodeSource();
            java.io.File where = source == null ? null : new java.io.File(source.getLocation().toURI());
            if (where != null && where.isFile()) {
                java.util.jar.JarFile jar = new java.util.jar.JarFile(where, false);
                try {
                    java.util.zip.ZipEntry entry = jar.getEntry(name);
                    if (entry != null) {
                        return Streams.readAll(jar.getInputStream(entry));
                    }
                } finally {
                    jar.close();
                }
            } else if (where != null && new java.io.File(where, name).isFile()) {
                return Streams.readAll(new java.io.FileInputStream(new java.io.File(where, name)));
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception unusualLocation) {
            // fall back to the class loader below
        }
        InputStream in = BridgeInstaller.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("missing " + name + " in the agent jar");
        }
        return Streams.readAll(in);
    }
}
