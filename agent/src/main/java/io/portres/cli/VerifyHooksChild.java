package io.portres.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The main of the JVM that {@code doctor --verify} starts: {@code java -Xverify:all -javaagent:portres-agent.jar=...
 * -jar portres-agent.jar __verify-hooks}. The hook verification ({@code io.portres.agent.hook.VerifyHooks}) must run
 * in the agent's own class loader, next to the self-test it reads, and that loader is nobody's to name (the agent is
 * isolated from the application, and this CLI is loaded apart from the agent, like any application). This JVM finds
 * it through the bridge: {@code sun.nio.ch} is opened to the CLI by the jar's {@code Add-Opens}, honoured for
 * {@code java -jar} only, and the bridge's {@code dispatcher} is a class of the agent's loader.
 */
final class VerifyHooksChild {

    static final String COMMAND = "__verify-hooks";
    private static final long WAIT_MILLIS = 60000;

    private VerifyHooksChild() {
    }

    static int runInTheAgent() {
        ClassLoader agent;
        try {
            agent = agentLoader();
        } catch (Exception e) {
            agent = null;
        }
        if (agent == null) {
            System.out.println("hook\t-\tthe agent\tFAIL\tthe agent did not connect to the JDK's socket classes"
                    + " (see its messages above)");
            return 1;
        }
        try {
            Class.forName("io.portres.agent.hook.VerifyHooks", true, agent).getMethod("main", String[].class)
                    .invoke(null, (Object) new String[0]);
            return 0;
        } catch (InvocationTargetException e) {
            System.out.println("hook\t-\tthe agent\tFAIL\t" + e.getCause());
        } catch (Exception e) {
            System.out.println("hook\t-\tthe agent\tFAIL\t" + e);
        }
        return 1;
    }

    /** The agent's loader, once the agent has connected its dispatcher to the bridge (at most a minute). */
    private static ClassLoader agentLoader() throws Exception {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1000000L;
        while (true) {
            try {
                Class<?> bridge = Class.forName("sun.nio.ch.PortresBridge", false, null);
                Object dispatcher = bridge.getField("dispatcher").get(null); // the agent's BridgeLink
                if (dispatcher != null) {
                    return dispatcher.getClass().getClassLoader();
                }
            } catch (ClassNotFoundException notYetDefined) {
                // the agent's start-up thread defines it
            }
            if (System.nanoTime() - deadline > 0) {
                return null;
            }
            Thread.sleep(20); // polling a condition that only the agent's thread can change
        }
    }
}
