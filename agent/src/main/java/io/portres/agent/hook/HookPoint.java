package io.portres.agent.hook;

/**
 * The JDK methods portres instruments, as data (BlockHound's "hook points as data").
 *
 * <p>Every local-port bind of JDK 8 to 27 passes through one of these; see
 * {@code docs/how-it-works.md} and the research note {@code jdk-bind-paths.md}. A hook point applies wherever a
 * loaded class has a method with exactly this owner, name and descriptor and the class file is at least
 * {@link #minClassFileVersion} (JDK 26+ only: the connect hook that replaces {@code sun.net.NetHooks}), so no JDK
 * version table is needed except for the two implicit-UDP points, which apply only when the class does not bind
 * explicitly itself.
 */
public enum HookPoint {

    /**
     * A: every NIO bind (channels, their socket() adaptors, NioSocketImpl behind Socket/ServerSocket on 13+,
     * DatagramSocketAdaptor behind DatagramSocket/MulticastSocket on 15+). TCP or UDP: the fd tells.
     */
    NET_BIND(Sites.NET_BIND, "sun/nio/ch/Net", "bind",
            "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V"),

    /** B: legacy java.net TCP (JDK 8 and 11; 13-17 with -Djdk.net.usePlainSocketImpl). */
    LEGACY_TCP_BIND(Sites.LEGACY_TCP_BIND, "java/net/AbstractPlainSocketImpl", "bind",
            "(Ljava/net/InetAddress;I)V"),

    /** C: legacy java.net UDP (JDK 8 and 11; 15-17 with -Djdk.net.usePlainDatagramSocketImpl). */
    LEGACY_UDP_BIND(Sites.LEGACY_UDP_BIND, "java/net/AbstractPlainDatagramSocketImpl", "bind",
            "(ILjava/net/InetAddress;)V"),

    /** D: the JDK calls this exactly when an unbound TCP socket is about to connect (implicit bind); JDK 8-25. */
    TCP_CONNECT(Sites.IMPLICIT_TCP, "sun/net/NetHooks", "beforeTcpConnect",
            "(Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V"),

    /**
     * D on JDK 26+, where {@code sun.net.NetHooks} is gone and nothing in the JDK marks an implicit bind: every
     * connect of a TCP or UDP socket reaches this method (NioSocketImpl and the asynchronous channel through
     * {@code connect(FileDescriptor, InetAddress, int)}, SocketChannelImpl through
     * {@code connect(ProtocolFamily, FileDescriptor, SocketAddress)}, DatagramChannelImpl directly). The dispatcher
     * acts only when the socket is TCP and still unbound. Class file 70 = JDK 26.
     */
    NET_CONNECT(Sites.IMPLICIT_TCP_ON_CONNECT, "sun/nio/ch/Net", "connect",
            "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I", 70),

    /** E: JDK 8 DatagramChannel.send on an unbound channel binds inside sendto(); JDK 11+ binds explicitly. */
    UDP_SEND(Sites.IMPLICIT_UDP, "sun/nio/ch/DatagramChannelImpl", "send",
            "(Ljava/nio/ByteBuffer;Ljava/net/SocketAddress;)I"),

    /** E: JDK 8 and 11 DatagramChannel.connect on an unbound channel binds inside connect(); 17+ explicitly. */
    UDP_CONNECT(Sites.IMPLICIT_UDP, "sun/nio/ch/DatagramChannelImpl", "connect",
            "(Ljava/net/SocketAddress;)Ljava/nio/channels/DatagramChannel;");

    final int site;
    final String owner;
    final String method;
    final String descriptor;
    /** The oldest class-file major version the point applies to (0: any); from the class itself, not the JVM. */
    final int minClassFileVersion;

    HookPoint(int site, String owner, String method, String descriptor) {
        this(site, owner, method, descriptor, 0);
    }

    HookPoint(int site, String owner, String method, String descriptor, int minClassFileVersion) {
        this.site = site;
        this.owner = owner;
        this.method = method;
        this.descriptor = descriptor;
        this.minClassFileVersion = minClassFileVersion;
    }

    /**
     * Binary names of the hooked classes that this JVM's socket APIs will load: the warm-up loads these (and so
     * rewrites them) ahead of the application, and leaves out the legacy implementations that this JDK and its
     * switches do not select, and JDK 8/11's {@code DatagramChannelImpl} unless a UDP rule can match its implicit
     * binds (they are still rewritten if something loads them).
     */
    public static java.util.List<String> classesInUse(int jdk, java.util.Properties props, boolean udpAutoBind) {
        java.util.List<String> out = new java.util.ArrayList<String>();
        out.add(NET_BIND.className()); // also NET_CONNECT's class on 26+
        if (jdk <= 25) {
            out.add(TCP_CONNECT.className());
        }
        if (jdk <= 12 || (jdk <= 17 && selected(props.getProperty("jdk.net.usePlainSocketImpl")))) {
            out.add(LEGACY_TCP_BIND.className());
        }
        if (jdk <= 14 || (jdk <= 17 && selected(props.getProperty("jdk.net.usePlainDatagramSocketImpl")))) {
            out.add(LEGACY_UDP_BIND.className());
        }
        if (jdk <= 11 && udpAutoBind) { // only a UDP rule that can match an implicit bind makes the hook act
            out.add(UDP_SEND.className());
        }
        return out;
    }

    private static boolean selected(String value) {
        return value != null && !value.equalsIgnoreCase("false");
    }

    /** Binary class name, for {@code Class.forName} and retransformation. */
    String className() {
        return owner.replace('/', '.');
    }
}
