package io.portres.bench;

import io.portres.agent.hook.DispatcherAccess;

import java.io.IOException;

/** Stack frames between the application's class and the bind, as a framework's layers would be. */
public final class Deep {

    private Deep() {
    }

    /** {@code depth} frames of this class, then {@link DispatcherAccess#call}. */
    public static int call(int op, int port, int depth) throws IOException {
        if (depth == 0) {
            return DispatcherAccess.call(op, port);
        }
        return call(op, port, depth - 1) + 0;
    }
}
