package io.portres.agent.hook;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The agent's side of {@code sun.nio.ch.PortresFreshSocket} (bridge module): a fresh, unassociated socket in place of
 * one that keeps an association after a failed bind, so that {@code onError: continue} can bind as requested. The
 * class is defined in java.base at the first use, not at start-up.
 */
final class FreshSocket {

    static final String CLASS = "sun.nio.ch.PortresFreshSocket";
    private static volatile MethodHandle replace;

    private FreshSocket() {
    }

    /**
     * Replaces the socket behind {@code fd} (a legacy impl's second socket too); null when done, else why not
     * (nothing changed then).
     */
    static String replace(FileDescriptor fd, Object legacyImpl) {
        try {
            MethodHandle h = replace;
            if (h == null) {
                Class<?> c = BridgeInstaller.defineInJavaBase(CLASS);
                h = MethodHandles.lookup().findStatic(c, "replace", MethodType.methodType(String.class,
                        FileDescriptor.class, Object.class));
                replace = h;
            }
            return (String) h.invokeExact(fd, legacyImpl);
        } catch (Throwable t) {
            return "the agent cannot replace sockets here (" + t + ")";
        }
    }
}
