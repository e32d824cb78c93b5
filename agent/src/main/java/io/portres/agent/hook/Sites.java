package io.portres.agent.hook;

/** Site numbers baked into the inlined bytecode; the dispatcher switches on them. */
public final class Sites {
    public static final int NET_BIND = 0;
    public static final int LEGACY_TCP_BIND = 1;
    public static final int LEGACY_UDP_BIND = 2;
    public static final int IMPLICIT_TCP = 3;
    public static final int IMPLICIT_UDP = 4;

    private Sites() {
    }
}
