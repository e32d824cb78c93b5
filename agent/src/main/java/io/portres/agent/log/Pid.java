package io.portres.agent.log;

import java.io.File;

/** This JVM's process id, found without {@code java.lang.management} (which costs tens of milliseconds to load). */
public final class Pid {
    private static volatile long pid;

    private Pid() {
    }

    public static long get() {
        long p = pid;
        if (p == 0) {
            p = find();
            pid = p;
        }
        return p;
    }

    private static long find() {
        try { // JDK 9+
            Class<?> ph = Class.forName("java.lang.ProcessHandle");
            Object current = ph.getMethod("current").invoke(null);
            return (Long) ph.getMethod("pid").invoke(current);
        } catch (Throwable notJdk9) {
            // fall through
        }
        try { // Linux, JDK 8
            String name = new File("/proc/self").getCanonicalFile().getName();
            return Long.parseLong(name);
        } catch (Throwable notLinux) {
            // fall through
        }
        try { // JDK 8 elsewhere: "pid@host"
            String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
            return Long.parseLong(name.substring(0, name.indexOf('@')));
        } catch (Throwable t) {
            return -1;
        }
    }
}
