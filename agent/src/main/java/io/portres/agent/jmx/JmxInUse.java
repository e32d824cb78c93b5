package io.portres.agent.jmx;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.concurrent.CountDownLatch;

/**
 * Tells when the JVM starts using JMX, so that the agent's MBean is registered only there. The platform MBean
 * server costs a JVM about 500 classes and a few hundred milliseconds of CPU (BENCHMARKS.md); a JVM that never
 * creates one must not get one from portres.
 *
 * <p>Every {@code MBeanServer} of the JDK, the platform one included (created by
 * {@code ManagementFactory.getPlatformMBeanServer()}, by the JMX remote agent of
 * {@code -Dcom.sun.management.jmxremote}, or by {@code jcmd ManagementAgent.start}), is a
 * {@code com.sun.jmx.mbeanserver.JmxMBeanServer}, a class of the boot loader on JDK 8 and of {@code java.management}
 * on 9+. This transformer only watches for that class being loaded and transforms nothing: on the loading thread
 * (the application's) it counts a latch down and returns, and the agent's own thread does the registering.
 */
public final class JmxInUse implements ClassFileTransformer {

    static final String SERVER_CLASS = "com/sun/jmx/mbeanserver/JmxMBeanServer";

    private final CountDownLatch seen = new CountDownLatch(1);

    /** Starts watching; call before the application's {@code main}, so that no creation is missed. */
    public static JmxInUse watch(Instrumentation inst) {
        JmxInUse watch = new JmxInUse();
        inst.addTransformer(watch, false);
        return watch;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (loader == null && classBeingRedefined == null && SERVER_CLASS.equals(className)) {
            seen.countDown();
        }
        return null;
    }

    /**
     * Waits (on the agent's thread) until an MBean server is being created, then stops watching. Also true at once
     * when one was created before the agent came (an agent attached to a running JVM).
     */
    public boolean await(Instrumentation inst, boolean attached) throws InterruptedException {
        if (attached && loadedAlready(inst)) {
            seen.countDown();
        }
        seen.await();
        inst.removeTransformer(this);
        return true;
    }

    /** Stops watching (the {@code jmx=false} option). */
    public void stop(Instrumentation inst) {
        inst.removeTransformer(this);
    }

    boolean seen() {
        return seen.getCount() == 0;
    }

    private static boolean loadedAlready(Instrumentation inst) {
        String name = SERVER_CLASS.replace('/', '.');
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getClassLoader() == null && c.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
