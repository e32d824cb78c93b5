package io.portres.agent.backend;

import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.net.InetAddress;

/** A fixed {@link BindAttempt} for backend unit tests. */
public final class TestAttempt implements BindAttempt {
    private final FileDescriptor fd;
    private final InetAddress address;
    private final int port;
    private final Protocol protocol;
    private final boolean implicit;
    private final Rule rule;

    public TestAttempt(FileDescriptor fd, InetAddress address, int port, Protocol protocol, boolean implicit,
                       Rule rule) {
        this.fd = fd;
        this.address = address;
        this.port = port;
        this.protocol = protocol;
        this.implicit = implicit;
        this.rule = rule;
    }

    @Override
    public int site() {
        return 0;
    }

    @Override
    public Object context() {
        return null;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public int handle() {
        return -1;
    }

    @Override
    public InetAddress address() {
        return address;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public boolean implicit() {
        return implicit;
    }

    @Override
    public Rule rule() {
        return rule;
    }

    @Override
    public Reservation reservation() {
        return rule.reservation();
    }
}
