package io.portres.agent.hook.point;

/** Site numbers baked into the inlined bytecode; the dispatcher switches on them. */
public final class Sites {
    public static final int NET_BIND = 0;
    public static final int LEGACY_TCP_BIND = 1;
    public static final int LEGACY_UDP_BIND = 2;
    public static final int IMPLICIT_TCP = 3;
    public static final int IMPLICIT_UDP = 4;
    /**
     * JDK 26+: every connect of a socket ({@code Net.connect}); the dispatcher acts only for an unbound TCP socket,
     * which it then treats exactly as {@link #IMPLICIT_TCP}.
     */
    public static final int IMPLICIT_TCP_ON_CONNECT = 5;
    /**
     * The entry of a channel's bind method: no bind of its own (the bind comes through {@link #NET_BIND}); the bridge
     * only remembers the channel, in case its socket must be replaced (Windows, {@code onError: continue}).
     */
    public static final int CHANNEL_BIND = 6;

    private Sites() {
    }
}
