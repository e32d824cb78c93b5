package io.portres.bench.app;

import io.portres.bench.Deep;
import io.portres.bench.Policies;

import java.io.IOException;

/** The "application" frame that the {@code by-class} rule ({@code io.portres.bench.app.**}) looks for. */
public final class Server {

    private Server() {
    }

    /** {@code op} ({@code DispatcherAccess.BIND}, ...) at the bottom of {@link Policies#DEPTH} more frames. */
    public static int start(int op, int port) throws IOException {
        return Deep.call(op, port, Policies.DEPTH);
    }
}
