package io.portres.bench;

import io.portres.agent.hook.DispatcherAccess;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Stack frames between the application's class and the bind, as a framework's layers would be. */
public final class Deep {

    private Deep() {
    }

    /** {@code depth} frames of this class, then {@link DispatcherAccess#call} (in process, DispatcherBench). */
    public static int call(int op, int port, int depth) throws IOException {
        if (depth == 0) {
            return DispatcherAccess.call(op, port);
        }
        return call(op, port, depth - 1) + 0;
    }

    /**
     * {@code depth} frames of this class, then a real bind: {@link EndToEndBind#bindClose} at the bottom (end to
     * end, with or without {@code -javaagent}; the agent's classes are not on the class path there).
     */
    public static int bindClose(InetSocketAddress local, int depth) throws IOException {
        if (depth == 0) {
            return EndToEndBind.bindClose(local);
        }
        return bindClose(local, depth - 1) + 0;
    }
}
