package io.portres.it.apps;

import java.net.ServerSocket;

/**
 * Binds a socket, then waits until the agent's start-up thread has nothing left to do (parked until JMX is used, or ended),
 * and prints a marker; run with {@code -verbose:class}, the classes loaded before the marker tell whether the agent
 * created an MBean server. Uses no JMX itself.
 */
public final class NoJmxApp {
    public static void main(String[] args) throws Exception {
        new ServerSocket(0).close();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && !agentThreadSettled()) {
            Thread.sleep(20);
        }
        System.out.println("NOJMX-SETTLED " + agentThreadSettled());
        System.out.flush();
    }

    private static boolean agentThreadSettled() {
        for (java.util.Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
            if (t.getKey().getName().equals("portres-init")) {
                for (StackTraceElement frame : t.getValue()) {
                    if (frame.getClassName().endsWith(".JmxInUse") && frame.getMethodName().equals("await")) {
                        return true; // parked until the JVM uses JMX
                    }
                }
                return false;
            }
        }
        return true; // ended
    }
}
