package io.portres.agent.hook;

import io.portres.agent.jdk.JavaBase;

import io.portres.agent.Streams;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;

/**
 * Defines the bridge module's classes ({@code bridge/}: {@code sun.nio.ch.PortresBridge} and the interface it calls the
 * agent through, {@code PortresDispatcher}; on demand {@code PortresFreshSocket} and {@code PortresNativeAccess}) inside
 * {@code java.base}, in the bootstrap loader. The agent jar carries them as resources under
 * {@value #BRIDGE_RESOURCES}, where no class loader looks for classes.
 *
 * <p>Why not a bootstrap class-path append: on JDK 17 it prints "Sharing is only supported for boot loader classes
 * because bootstrap classpath has been appended" and turns off class sharing for the application. Defining one
 * class into an existing boot package has neither effect (JaCoCo does the same for {@code java.lang.$JaCoCo}).
 *
 * <p>JDK 9+: {@code sun.nio.ch} is opened to the agent's own (unnamed) module only, with
 * {@link Instrumentation#redefineModule}; then
 * {@code MethodHandles.privateLookupIn(<a sun.nio.ch class>).defineClass(bytes)}. JDK 8: {@code Unsafe.defineClass}
 * with a null loader. {@link JavaBase} holds both (a multi-release class).
 */
public final class BridgeInstaller {

    public static final String BRIDGE_CLASS = "sun.nio.ch.PortresBridge";
    /** The bridge's view of the agent, implemented by {@link BridgeLink}. */
    static final String DISPATCHER_INTERFACE = "sun.nio.ch.PortresDispatcher";
    /** Where the agent jar keeps the bridge module's class files. */
    static final String BRIDGE_RESOURCES = "META-INF/portres/bridge/";

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
        JavaBase.openToAgent(inst);
        // first the interface the bridge calls the agent through: the boot loader finds it nowhere else
        defineInJavaBase(DISPATCHER_INTERFACE);
        Class<?> bridge = defineInJavaBase(BRIDGE_CLASS);
        defineInJavaBase(BRIDGE_CLASS + "$Privileged"); // its doPrivileged action, used under a SecurityManager
        return bridge;
    }

    /**
     * Defines the bridge module's class {@code name} (a class of {@code sun.nio.ch}) in {@code java.base}; returns the
     * existing class if it was defined already. JDK 9+ only after {@link #install} opened {@code sun.nio.ch} to the
     * agent.
     */
    public static Class<?> defineInJavaBase(String name) throws Exception {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException notYet) {
            // define it below
        }
        try {
            return JavaBase.define(bridgeClassFile(name), name);
        } catch (LinkageError definedMeanwhileByAnotherThread) {
            return Class.forName(name, false, null);
        } catch (java.lang.reflect.InvocationTargetException e) { // JDK 8: through Unsafe, reflectively
            if (e.getCause() instanceof LinkageError) {
                return Class.forName(name, false, null);
            }
            throw e;
        }
    }

    /** The class file of one of the bridge module's classes, as the agent jar carries it. */
    static byte[] bridgeClassFile(String name) throws IOException {
        return readResource(BRIDGE_RESOURCES + name.replace('.', '/') + ".class");
    }

    /**
     * A class file of the agent. From the agent's own loader when it is one (it reads {@code META-INF/portres/} from
     * the jar it holds open); else (the agent's classes on a class path, in tests) from the agent's jar or classes
     * folder directly, not through the application loader's {@code getResourceAsStream}: on JDK 9+ that first asks
     * the boot and platform loaders, which look for a resource outside their packages in every module of the runtime
     * image and cost about 4 ms of start-up.
     */
    private static byte[] readResource(String name) throws IOException {
        ClassLoader own = BridgeInstaller.class.getClassLoader();
        if (own != null && own != ClassLoader.getSystemClassLoader()) {
            InputStream in = own.getResourceAsStream(name);
            if (in != null) {
                return Streams.readAll(in);
            }
        }
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
