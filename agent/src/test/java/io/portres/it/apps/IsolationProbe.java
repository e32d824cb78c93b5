package io.portres.it.apps;

import java.io.FileDescriptor;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.ServerSocket;

/**
 * What an application can reach of the agent: prints one {@code check=answer} line per attempt. It binds a socket
 * first, so that the agent is fully installed (the bridge defined in {@code java.base}, {@code java.base} opened).
 */
public final class IsolationProbe {

    public static void main(String[] args) throws Exception {
        ServerSocket s = new ServerSocket(0);
        s.close();
        for (String name : new String[] {"io.portres.agent.Installer", "io.portres.agent.AgentMain",
                "io.portres.agent.jdk.JdkAccess", "io.portres.agent.hook.BridgeLink", "io.portres.cli.Main",
                "io.portres.policy.Policy", "io.portres.shaded.bytebuddy.jar.asm.ClassReader"}) {
            System.out.println("class " + name + "=" + load(name));
        }
        System.out.println("resource io/portres/agent/Installer.class="
                + (ClassLoader.getSystemResource("io/portres/agent/Installer.class") == null ? "hidden" : "visible"));
        System.out.println("setAccessible sun.nio.ch.Net=" + open(Class.forName("sun.nio.ch.Net")
                .getDeclaredMethods()[0]));
        System.out.println("setAccessible FileDescriptor.fd=" + open(FileDescriptor.class.getDeclaredField("fd")));
        System.out.println("setAccessible ServerSocket.impl=" + open(ServerSocket.class.getDeclaredField("impl")));
        Class<?> bridge = Class.forName("sun.nio.ch.PortresBridge", false, null);
        System.out.println("bridge.dispatcher write=" + write(bridge, "dispatcher", null));
        System.out.println("bridge.dispatcher read=" + read(bridge, "dispatcher")); // the agent's entry object
        System.out.println("bridge.CANDIDATE_PORTS read=" + read(bridge, "CANDIDATE_PORTS"));
        System.out.println("bridge.readyTimeoutMillis write=" + write(bridge, "readyTimeoutMillis", 1L));
        System.out.println("agent loader via threads=" + agentLoaderInThreads());
        System.out.println("static handles in the trampoline=" + staticHandles("io.portres.boot.Trampoline")
                + staticHandles("io.portres.boot.CoreLoader"));
    }

    private static String load(String name) {
        try {
            Class.forName(name);
            return "visible";
        } catch (ClassNotFoundException e) {
            try {
                Thread.currentThread().getContextClassLoader().loadClass(name);
                return "visible to the context loader";
            } catch (ClassNotFoundException again) {
                return "hidden";
            }
        }
    }

    private static String open(AccessibleObject o) {
        try {
            o.setAccessible(true);
            return "allowed";
        } catch (RuntimeException e) { // InaccessibleObjectException (JDK 9+) is a RuntimeException
            return "denied";
        }
    }

    private static String write(Class<?> c, String field, Object value) {
        try {
            Field f = c.getField(field);
            Object before = f.get(null);
            f.set(null, value);
            f.set(null, before);
            return "allowed";
        } catch (IllegalAccessException e) {
            return "denied";
        } catch (NoSuchFieldException e) {
            return "no such field";
        }
    }

    /** A final holder: reading it would be enough to change what it holds. */
    private static String read(Class<?> c, String field) {
        try {
            c.getField(field).get(null);
            return "allowed";
        } catch (IllegalAccessException e) {
            return "denied";
        } catch (NoSuchFieldException e) {
            return "no such field";
        }
    }

    private static String agentLoaderInThreads() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            for (ClassLoader l : new ClassLoader[] {t.getClass().getClassLoader(), t.getContextClassLoader()}) {
                if (l != null && l.getClass().getName().startsWith("io.portres.")) {
                    return "found in " + t.getName();
                }
            }
        }
        return "none";
    }

    private static String staticHandles(String name) {
        try {
            StringBuilder found = new StringBuilder();
            for (Field f : Class.forName(name).getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive() && f.getType() != String.class) {
                    found.append(name).append('.').append(f.getName()).append(' ');
                }
            }
            return found.length() == 0 ? "none " : found.toString();
        } catch (ClassNotFoundException e) {
            return "(no " + name + ") ";
        }
    }
}
