package io.portres.agent.hook;

import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The JDK methods portres instruments, each with its own edit (BlockHound's "hook points as data", plus the edit).
 *
 * <p>Every local-port bind of JDK 8 to 27 passes through one of these; see {@code docs/how-it-works.md} and the
 * research note {@code jdk-bind-paths.md}. A hook point applies wherever a loaded class has a method with exactly this
 * owner, name and descriptor and the class file is at least {@link #minClassFileVersion} (JDK 26+ only: the connect
 * hook that replaces {@code sun.net.NetHooks}), so no JDK version table is needed except for the two implicit-UDP
 * points, which apply only when the class does not bind explicitly itself ({@link #appliesTo}).
 *
 * <p>Two kinds of edit, both straight-line (no branch, so no stack map frame is added or changed):
 * <ul>
 *   <li>{@link NativeCall}: the explicit binds (A, B, C). The one call of the JDK's native bind inside the method
 *       becomes an {@code invokestatic} of the bridge with the same stack effect (an instance call's receiver becomes
 *       the bridge method's first argument), the shape of Byte Buddy's {@code MemberSubstitution}. The bridge method
 *       receives descriptor, address, port and impl, and does everything: the decision, the native bind (by the JDK
 *       or a backend), the report of the bound port or the failure.</li>
 *   <li>{@link EntryCall}: the implicit binds (D, E), where there is no bind call to replace: a call of the bridge
 *       at the method's entry.</li>
 * </ul>
 */
public enum HookPoint {

    /**
     * A: every NIO bind (channels, their socket() adaptors, NioSocketImpl behind Socket/ServerSocket on 13+,
     * DatagramSocketAdaptor behind DatagramSocket/MulticastSocket on 15+). TCP or UDP: the fd tells.
     */
    NET_BIND(Sites.NET_BIND, "sun/nio/ch/Net", "bind",
            "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V",
            // static native void bind0(FileDescriptor, boolean preferIPv6, boolean exclusive, InetAddress, int)
            new NativeCall(Opcodes.INVOKESTATIC, "bind0", "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V",
                    "netBind0", "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V")),

    /** B: legacy java.net TCP (JDK 8 and 11; 13-17 with -Djdk.net.usePlainSocketImpl). */
    LEGACY_TCP_BIND(Sites.LEGACY_TCP_BIND, "java/net/AbstractPlainSocketImpl", "bind",
            "(Ljava/net/InetAddress;I)V",
            // this.socketBind(InetAddress, int)
            new NativeCall(Opcodes.INVOKEVIRTUAL, "socketBind", "(Ljava/net/InetAddress;I)V",
                    "legacyTcpBind", "(Ljava/lang/Object;Ljava/net/InetAddress;I)V")),

    /** C: legacy java.net UDP (JDK 8 and 11; 15-17 with -Djdk.net.usePlainDatagramSocketImpl). */
    LEGACY_UDP_BIND(Sites.LEGACY_UDP_BIND, "java/net/AbstractPlainDatagramSocketImpl", "bind",
            "(ILjava/net/InetAddress;)V",
            // this.bind0(int, InetAddress)
            new NativeCall(Opcodes.INVOKEVIRTUAL, "bind0", "(ILjava/net/InetAddress;)V",
                    "legacyUdpBind", "(Ljava/lang/Object;ILjava/net/InetAddress;)V")),

    /**
     * D: the JDK calls this exactly when an unbound TCP socket is about to connect (implicit bind); JDK 8-25. At the
     * entry of
     * {@code static beforeTcpConnect(FileDescriptor fd, InetAddress remote, int remotePort)}:
     * {@code PortresBridge.implicitTcpBind(fd, remote)}.
     */
    TCP_CONNECT(Sites.IMPLICIT_TCP, "sun/net/NetHooks", "beforeTcpConnect",
            "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V",
            new EntryCall("implicitTcpBind", "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V",
                    EntryCall.SLOT_0, EntryCall.SLOT_1)),

    /**
     * D on JDK 26+, where {@code sun.net.NetHooks} is gone and nothing in the JDK marks an implicit bind: every
     * connect of a TCP or UDP socket reaches {@code static int connect(ProtocolFamily, FileDescriptor fd,
     * InetAddress remote, int port)}. At its entry: {@code PortresBridge.implicitTcpConnect(fd, remote)}; the
     * dispatcher acts only when the socket is TCP and still unbound. Class file 70 = JDK 26.
     */
    NET_CONNECT(Sites.IMPLICIT_TCP_ON_CONNECT, "sun/nio/ch/Net", "connect",
            "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I",
            new EntryCall("implicitTcpConnect", "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V",
                    EntryCall.SLOT_1, EntryCall.SLOT_2), 70),

    /**
     * E: JDK 8 DatagramChannel.send on an unbound channel binds inside sendto(); JDK 11+ binds explicitly. At the
     * entry: {@code PortresBridge.beforeImplicitUdpBind(this.localAddress, this)}.
     */
    UDP_SEND(Sites.IMPLICIT_UDP, "sun/nio/ch/DatagramChannelImpl", "send",
            "(Ljava/nio/ByteBuffer;Ljava/net/SocketAddress;)I", EntryCall.IMPLICIT_UDP),

    /** E: JDK 8 and 11 DatagramChannel.connect on an unbound channel binds inside connect(); 17+ explicitly. */
    UDP_CONNECT(Sites.IMPLICIT_UDP, "sun/nio/ch/DatagramChannelImpl", "connect",
            "(Ljava/net/SocketAddress;)Ljava/nio/channels/DatagramChannel;", EntryCall.IMPLICIT_UDP),

    /**
     * F: the entry of the channels' bind methods, whose native bind is A: {@code PortresBridge.channelBind(this,
     * local)} remembers the channel (weakly, per thread, candidate ports only). Nothing else: only when a full block
     * on Windows must be answered by a fresh socket under {@code onError: continue} does the bridge need the channel,
     * to point its copy of the socket handle ({@code fdVal}) at the new socket.
     */
    SERVER_CHANNEL_BIND(Sites.CHANNEL_BIND, "sun/nio/ch/ServerSocketChannelImpl", "bind",
            "(Ljava/net/SocketAddress;I)Ljava/nio/channels/ServerSocketChannel;", EntryCall.CHANNEL),
    /** F: {@code SocketChannelImpl.bind} (and its socket adaptor's). */
    SOCKET_CHANNEL_BIND(Sites.CHANNEL_BIND, "sun/nio/ch/SocketChannelImpl", "bind",
            "(Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;", EntryCall.CHANNEL),
    /** F: {@code DatagramChannelImpl.bind} (and DatagramSocketAdaptor's, behind DatagramSocket on 15+). */
    DATAGRAM_CHANNEL_BIND(Sites.CHANNEL_BIND, "sun/nio/ch/DatagramChannelImpl", "bind",
            "(Ljava/net/SocketAddress;)Ljava/nio/channels/DatagramChannel;", EntryCall.CHANNEL),
    /** F: JDK 11+ {@code DatagramChannelImpl.bindInternal}, also the implicit binds of send, receive, connect. */
    DATAGRAM_CHANNEL_BIND_INTERNAL(Sites.CHANNEL_BIND, "sun/nio/ch/DatagramChannelImpl", "bindInternal",
            "(Ljava/net/SocketAddress;)V", EntryCall.CHANNEL);

    /** The class every edit calls: {@code bridge/}'s {@code sun.nio.ch.PortresBridge}, in java.base. */
    public static final String BRIDGE = "sun/nio/ch/PortresBridge";

    final int site;
    final String owner;
    final String method;
    final String descriptor;
    private final Edit edit;
    /** The oldest class-file major version the point applies to (0: any); from the class itself, not the JVM. */
    final int minClassFileVersion;

    HookPoint(int site, String owner, String method, String descriptor, Edit edit) {
        this(site, owner, method, descriptor, edit, 0);
    }

    HookPoint(int site, String owner, String method, String descriptor, Edit edit, int minClassFileVersion) {
        this.site = site;
        this.owner = owner;
        this.method = method;
        this.descriptor = descriptor;
        this.edit = edit;
        this.minClassFileVersion = minClassFileVersion;
    }

    /** Whether this point applies to a class of {@link #owner} with this shape. */
    boolean appliesTo(ClassShape cls) {
        if (!cls.hasMethod(method, descriptor)) {
            return false;
        }
        switch (this) {
            case UDP_SEND:
                // JDK 11+ send() binds explicitly through beginWrite -> bindInternal -> Net.bind.
                return !cls.hasMethodStartingWith("beginWrite(") && cls.fieldDescriptor("localAddress") != null;
            case UDP_CONNECT:
                // JDK 17+ connect(SocketAddress) delegates to connect(SocketAddress, boolean), which binds.
                return !cls.hasMethodStartingWith("connect(Ljava/net/SocketAddress;Z)")
                        && cls.fieldDescriptor("localAddress") != null;
            default:
                return cls.majorVersion() >= minClassFileVersion;
        }
    }

    /** Wraps the writer of the hooked method with this point's edit. */
    MethodVisitor edit(MethodVisitor writer, ClassShape cls) {
        return edit.wrap(writer, this, cls);
    }

    /** "name+descriptor" of the bridge method this point's edit calls. */
    String bridgeCall() {
        return edit.bridgeCall();
    }

    /** "owner.name+descriptor" of the native bind call this point replaces, or null (an entry call). */
    String nativeCall() {
        return edit instanceof NativeCall ? owner + "." + ((NativeCall) edit).name + ((NativeCall) edit).descriptor
                : null;
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

    /** The site letter of the docs (A-E; D' for the JDK 26+ connect hook). */
    public String letter() {
        switch (this) {
            case NET_BIND:
                return "A";
            case LEGACY_TCP_BIND:
                return "B";
            case LEGACY_UDP_BIND:
                return "C";
            case TCP_CONNECT:
                return "D";
            case NET_CONNECT:
                return "D'";
            case SERVER_CHANNEL_BIND:
            case SOCKET_CHANNEL_BIND:
            case DATAGRAM_CHANNEL_BIND:
            case DATAGRAM_CHANNEL_BIND_INTERNAL:
                return "F";
            default:
                return "E";
        }
    }

    /** "A sun.nio.ch.Net.bind": the letter and the hooked method, for messages. */
    public String describe() {
        return letter() + " " + className() + "." + method;
    }

    /** The dispatcher's site number of this point's bridge call. */
    public int site() {
        return site;
    }

    private static boolean selected(String value) {
        return value != null && !value.equalsIgnoreCase("false");
    }

    /** Binary class name, for {@code Class.forName} and retransformation. */
    String className() {
        return owner.replace('/', '.');
    }

    /** How a hook point changes its method: a call of one bridge method, put somewhere. */
    private abstract static class Edit {
        final String bridgeMethod;
        final String bridgeDescriptor;

        Edit(String bridgeMethod, String bridgeDescriptor) {
            this.bridgeMethod = bridgeMethod;
            this.bridgeDescriptor = bridgeDescriptor;
        }

        abstract MethodVisitor wrap(MethodVisitor writer, HookPoint point, ClassShape cls);

        /** "name+descriptor" of the bridge method the edit calls. */
        final String bridgeCall() {
            return bridgeMethod + bridgeDescriptor;
        }
    }

    /** The native bind call inside the method becomes a bridge call with the same stack effect. */
    private static final class NativeCall extends Edit {
        final int opcode;
        final String name;
        final String descriptor;

        NativeCall(int opcode, String name, String descriptor, String bridgeMethod, String bridgeDescriptor) {
            super(bridgeMethod, bridgeDescriptor);
            this.opcode = opcode;
            this.name = name;
            this.descriptor = descriptor;
        }

        @Override
        MethodVisitor wrap(MethodVisitor writer, final HookPoint point, ClassShape cls) {
            final String self = cls.name(); // the native bind is the class's own method
            return new MethodVisitor(BindTransformer.ASM_API, writer) {
                private int replaced;

                @Override
                public void visitMethodInsn(int op, String owner, String callee, String desc, boolean itf) {
                    if (op == opcode && callee.equals(name) && desc.equals(descriptor) && owner.equals(self)) {
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, bridgeMethod, bridgeDescriptor, false);
                        replaced++;
                    } else {
                        super.visitMethodInsn(op, owner, callee, desc, itf);
                    }
                }

                @Override
                public void visitEnd() {
                    if (replaced != 1) { // refuse a shape we did not study: the class stays as it is
                        throw new IllegalStateException(self + "." + point.method + " calls " + name + " "
                                + replaced + " times, expected once");
                    }
                    super.visitEnd();
                }
            };
        }
    }

    /** A call of the bridge at the method's entry, on some of its arguments (or a field of {@code this}). */
    private static final class EntryCall extends Edit {
        /** Local slots of the method, loaded as arguments in the order the bridge method takes them. */
        static final int SLOT_0 = 0;
        static final int SLOT_1 = 1;
        static final int SLOT_2 = 2;
        /** {@code beforeImplicitUdpBind(this.localAddress, this)}. */
        static final EntryCall IMPLICIT_UDP = new EntryCall("beforeImplicitUdpBind",
                "(Ljava/lang/Object;Ljava/nio/channels/DatagramChannel;)V", -1, SLOT_0);

        /** {@code channelBind(this, local)}. */
        static final EntryCall CHANNEL = new EntryCall("channelBind",
                "(Ljava/lang/Object;Ljava/net/SocketAddress;)V", SLOT_0, SLOT_1);

        /** Local slots loaded as the arguments; -1 stands for {@code this.localAddress}. */
        final int[] arguments;

        EntryCall(String bridgeMethod, String bridgeDescriptor, int... arguments) {
            super(bridgeMethod, bridgeDescriptor);
            this.arguments = arguments;
        }

        @Override
        MethodVisitor wrap(MethodVisitor writer, final HookPoint point, final ClassShape cls) {
            final String localAddressType = cls.fieldDescriptor("localAddress");
            return new MethodVisitor(BindTransformer.ASM_API, writer) {
                @Override
                public void visitCode() {
                    super.visitCode();
                    for (int slot : arguments) {
                        if (slot >= 0) {
                            super.visitVarInsn(Opcodes.ALOAD, slot);
                        } else {
                            super.visitVarInsn(Opcodes.ALOAD, 0);
                            super.visitFieldInsn(Opcodes.GETFIELD, cls.name(), "localAddress", localAddressType);
                        }
                    }
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, bridgeMethod, bridgeDescriptor, false);
                }
            };
        }
    }
}
