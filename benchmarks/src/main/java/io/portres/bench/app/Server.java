package io.portres.bench.app;

import io.portres.bench.Deep;
import io.portres.bench.Policies;

import java.io.IOException;
import java.net.InetSocketAddress;

/** The "application" frame that the by-class rules ({@code io.portres.bench.app.**}) look for. */
public final class Server {

    private Server() {
    }

    /** {@code op} ({@code DispatcherAccess.BIND}, ...) at the bottom of {@link Policies#DEPTH} more frames. */
    public static int start(int op, int port) throws IOException {
        return Deep.call(op, port, Policies.DEPTH);
    }

    /** A real open, bind to {@code local} and close at the bottom of {@link Policies#DEPTH} more frames. */
    public static int bindClose(InetSocketAddress local) throws IOException {
        return Deep.bindClose(local, Policies.DEPTH);
    }
}
