package io.portres.agent.hook.point;

import io.portres.policy.Protocol;

/**
 * What a hook point tells the dispatcher of a bind it admitted: the site to record it under, its protocol (null: to
 * be read from the socket, only for candidates), and whether it is an implicit bind. Immutable; each point holds its
 * own, so that admitting a bind allocates nothing.
 */
public final class Admission {
    private final int site;
    private final Protocol protocol;
    private final boolean implicit;

    Admission(int site, Protocol protocol, boolean implicit) {
        this.site = site;
        this.protocol = protocol;
        this.implicit = implicit;
    }

    public int site() {
        return site;
    }

    /** The bind's protocol, or null when only the socket can tell (site A: TCP or UDP). */
    public Protocol protocol() {
        return protocol;
    }

    public boolean implicit() {
        return implicit;
    }
}
