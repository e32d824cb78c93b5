package io.portres.agent.hook.point;

import net.bytebuddy.jar.asm.MethodVisitor;

/**
 * The catalogue of the JDK methods portres instruments (BlockHound's "hook points as data"): one constant per point,
 * each backed by the class that owns it whole ({@link BindHook}: the method, its edit, its dispatch).
 *
 * <p>Every local-port bind of JDK 8 to 27 passes through one of these; see {@code docs/how-it-works.md} and the
 * research note {@code jdk-bind-paths.md}. A hook point applies wherever a loaded class has a method with exactly
 * this owner, name and descriptor and a recent enough class file (D' only from JDK 26's), so no JDK version table is
 * needed except for the two implicit-UDP points (E), which apply only when the class does not bind explicitly itself.
 * The table below ({@link #inUse}) only says which points this JDK must have applied, for the self-test.
 */
public enum HookPoint {

    NET_BIND(new NetBind()),
    LEGACY_TCP_BIND(new LegacyTcpBind()),
    LEGACY_UDP_BIND(new LegacyUdpBind()),
    TCP_CONNECT(new NetHooksConnect()),
    NET_CONNECT(new NetConnect()),
    UDP_SEND(DatagramImplicitBind.send()),
    UDP_CONNECT(DatagramImplicitBind.connect()),
    SERVER_CHANNEL_BIND(ChannelBind.serverSocketChannel()),
    SOCKET_CHANNEL_BIND(ChannelBind.socketChannel()),
    DATAGRAM_CHANNEL_BIND(ChannelBind.datagramChannel()),
    DATAGRAM_CHANNEL_BIND_INTERNAL(ChannelBind.datagramChannelInternal());

    /** The class every edit calls: {@code bridge/}'s {@code sun.nio.ch.PortresBridge}, in java.base. */
    public static final String BRIDGE = BindHook.BRIDGE;

    /** For each site number, the point whose binds the dispatcher receives under it (null: none arrive). */
    private static final BindHook[] BY_SITE = new BindHook[Sites.CHANNEL_BIND + 1];

    static {
        for (HookPoint p : values()) {
            if (BY_SITE[p.hook.site()] == null) {
                BY_SITE[p.hook.site()] = p.hook;
            }
        }
    }

    private final BindHook hook;

    HookPoint(BindHook hook) {
        this.hook = hook;
    }

    /**
     * The point whose binds arrive at the dispatcher with this site number: A, B, C, D or D' (E binds through A,
     * F sends none); null for a number no point uses.
     */
    public static BindHook atSite(int site) {
        return site >= 0 && site < BY_SITE.length ? BY_SITE[site] : null;
    }

    /** The class that owns this point: method, edit, dispatch. */
    public BindHook hook() {
        return hook;
    }

    /** Internal name of the hooked class. */
    public String owner() {
        return hook.owner();
    }

    public String method() {
        return hook.method();
    }

    public String descriptor() {
        return hook.descriptor();
    }

    /** Whether this point applies to a class of {@link #owner} with this shape. */
    public boolean appliesTo(ClassShape cls) {
        return hook.appliesTo(cls);
    }

    /** Wraps the writer of the hooked method with this point's edit. */
    public MethodVisitor edit(MethodVisitor writer, ClassShape cls) {
        return hook.edit(writer, cls);
    }

    /** "name+descriptor" of the bridge method this point's edit calls. */
    public String bridgeCall() {
        return hook.bridgeCall();
    }

    /** "owner.name+descriptor" of the native bind call this point replaces, or null (an entry call). */
    public String nativeCall() {
        return hook.nativeCall();
    }

    /**
     * Binary names of the hooked classes that this JVM's socket APIs will load: the warm-up loads these (and so
     * rewrites them) ahead of the application, and leaves out the legacy implementations that this JDK and its
     * switches do not select, and JDK 8/11's {@code DatagramChannelImpl} unless a UDP rule can match its implicit
     * binds (they are still rewritten if something loads them).
     */
    public static java.util.List<String> classesInUse(int jdk, java.util.Properties props, boolean udpAutoBind) {
        java.util.List<String> out = new java.util.ArrayList<String>();
        for (HookPoint p : inUse(jdk, props, udpAutoBind)) {
            if (!out.contains(p.className())) {
                out.add(p.className());
            }
        }
        return out;
    }

    /**
     * The hook points this JDK (feature release) and these switches use: the ones the start-up self-test requires
     * to be applied. A at every JDK; D through {@code NetHooks} up to 25 and through {@code Net.connect} from 26;
     * B and C where the legacy implementations are selected; E on 8 (send) and 8-11 (connect), only when a UDP
     * rule can match an implicit bind ({@code udpAutoBind}), since only then does the hook act. F is not required:
     * it only names the channel whose socket a full Windows block under {@code onError: continue} replaces, and
     * without it that bind fails as the JDK's own would, with the reason in its event (never a socket reported as
     * associated outside its block).
     */
    public static java.util.EnumSet<HookPoint> inUse(int jdk, java.util.Properties props, boolean udpAutoBind) {
        java.util.EnumSet<HookPoint> out = java.util.EnumSet.of(NET_BIND);
        out.add(jdk <= 25 ? TCP_CONNECT : NET_CONNECT);
        if (jdk <= 12 || (jdk <= 17 && selected(props.getProperty("jdk.net.usePlainSocketImpl")))) {
            out.add(LEGACY_TCP_BIND);
        }
        if (jdk <= 14 || (jdk <= 17 && selected(props.getProperty("jdk.net.usePlainDatagramSocketImpl")))) {
            out.add(LEGACY_UDP_BIND);
        }
        if (jdk <= 11 && udpAutoBind) { // only a UDP rule that can match an implicit bind makes the hook act
            if (jdk <= 8) {
                out.add(UDP_SEND);
            }
            out.add(UDP_CONNECT);
        }
        return out;
    }

    /** The site letter of the docs (A-F; D' for the JDK 26+ connect hook). */
    public String letter() {
        return hook.letter();
    }

    /** "A sun.nio.ch.Net.bind": the letter and the hooked method, for messages. */
    public String describe() {
        return letter() + " " + className() + "." + method();
    }

    /** The dispatcher's site number of this point's bridge call. */
    public int site() {
        return hook.site();
    }

    private static boolean selected(String value) {
        return value != null && !value.equalsIgnoreCase("false");
    }

    /** Binary class name, for {@code Class.forName} and retransformation. */
    public String className() {
        return owner().replace('/', '.');
    }
}
