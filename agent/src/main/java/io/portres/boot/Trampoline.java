package io.portres.boot;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * {@code Premain-Class}, {@code Agent-Class} and {@code Main-Class} of the agent jar, and the only classes of it that
 * the application's class loader can see (with {@link CoreLoader}). Everything else, the agent, the CLI and their
 * relocated libraries, sits under {@code META-INF/portres/core/} in the jar and is defined by a {@link CoreLoader} of
 * the agent's own, as OpenTelemetry's agent does: the application cannot name an agent class, and {@code java.base}
 * is opened to that loader's module alone (see {@code JavaBase}).
 *
 * <p>Nothing here may throw into the JVM's start-up: a failure to load the core is reported in one line on standard
 * error and the application runs without the agent.
 */
public final class Trampoline {

    private static final String AGENT = "io.portres.agent.AgentMain";
    private static final String CLI = "io.portres.cli.Main";

    private Trampoline() {
    }

    /** {@code -javaagent:portres-agent.jar[=<options>]} */
    public static void premain(String agentArgs, Instrumentation inst) {
        if (ManagerCheck.refuses(agentArgs, false)) {
            return;
        }
        enter(AGENT, "premain", agentArgs, inst);
    }

    /** Attach to a running JVM. */
    public static void agentmain(String agentArgs, Instrumentation inst) {
        if (ManagerCheck.refuses(agentArgs, true)) {
            return;
        }
        enter(AGENT, "agentmain", agentArgs, inst);
    }

    /** {@code java -jar portres-agent.jar <command>}: the CLI, in the same loader as the agent. */
    public static void main(String[] args) throws Throwable {
        ClassLoader core = CoreLoader.forJarOf(Trampoline.class);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(core);
        try {
            Class.forName(CLI, true, core).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static void enter(String className, String method, String agentArgs, Instrumentation inst) {
        try {
            Method entry = Class.forName(className, true, CoreLoader.forJarOf(Trampoline.class))
                    .getMethod(method, String.class, Instrumentation.class);
            entry.invoke(null, agentArgs, inst);
        } catch (Throwable t) {
            // AgentMain never throws; this is the loader failing (an unreadable jar, a SecurityManager that denies
            // the agent createClassLoader): the application runs unchanged.
            Throwable cause = t instanceof InvocationTargetException ? t.getCause() : t;
            System.err.println("portres: ERROR the agent could not start and is inactive (" + cause + ")");
        }
    }
}
