package io.portres.agent;

import java.lang.instrument.Instrumentation;

/**
 * {@code Premain-Class} and {@code Agent-Class}. Kept tiny: everything happens in {@link Installer}, and nothing
 * here may throw into the JVM's start-up.
 */
public final class AgentMain {

    private AgentMain() {
    }

    /** {@code -javaagent:portres-agent.jar[=<policy>|=policy=<path>,<key>=<value>,...]} */
    public static void premain(String agentArgs, Instrumentation inst) {
        Installer.install(agentArgs, inst, false);
    }

    /**
     * Attach to a running JVM. Affects binds after the attach; JDK classes already loaded are retransformed. A bad
     * policy never stops the running application: the errors go to its standard error and the agent stays
     * inactive. (Throwing here would make the JVM print a stack trace into the application's standard error.)
     */
    public static void agentmain(String agentArgs, Instrumentation inst) {
        Installer.install(agentArgs, inst, true);
    }
}
