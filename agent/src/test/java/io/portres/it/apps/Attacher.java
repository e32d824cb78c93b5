package io.portres.it.apps;

import java.lang.reflect.Method;

/**
 * Attaches an agent to a running JVM: {@code Attacher <pid> <agent jar> <agent args>}. Run with the target's own
 * JDK: a JDK 9+ attach client misreads a JDK 8 target's reply to "load" (it reports AgentLoadException "0").
 * Reflection, because the attach API is in tools.jar on 8 and in jdk.attach on 9+.
 */
public final class Attacher {
    public static void main(String[] args) throws Exception {
        Class<?> vmClass = Class.forName("com.sun.tools.attach.VirtualMachine");
        Object vm = vmClass.getMethod("attach", String.class).invoke(null, args[0]);
        try {
            Method load = vmClass.getMethod("loadAgent", String.class, String.class);
            load.invoke(vm, args[1], args[2]);
        } finally {
            vmClass.getMethod("detach").invoke(vm);
        }
        System.out.println("attached");
    }
}
