package io.portres.agent.hook;

import io.portres.agent.hook.ClassFilePatcher.Opcodes;
import io.portres.agent.hook.ClassFilePatcher.Pool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * The bytecode inlined into each JDK bind method, per hook point:
 * <pre>
 *   port = PortresBridge.before(site, context, fd, address, port);   // may throw the deliberate BindException
 *   try {
 *       ...original body, where the native bind call (Net.bind0, socketBind, bind0) becomes
 *          PortresBridge.netBind0/legacyTcpBind/legacyUdpBind(same arguments)
 *          // binds (or lets a backend bind) and then reports the bound port to the agent
 *   } catch (Throwable t) {
 *       PortresBridge.afterThrow(t, site, null); throw t;
 *   }
 * </pre>
 * Rules (the same as for {@link BindBridge}): JDK types and the bridge only; no branches (they live in the bridge,
 * so the inlined code needs no stack map frame except the handler's); never more than {@link #MAX_STACK} operand
 * slots.
 */
final class HookMethods {

    static final String BRIDGE = "sun/nio/ch/PortresBridge";
    /** Operand stack the inlined code needs: the five arguments of {@code before}. */
    static final int MAX_STACK = 5;
    private static final String BEFORE_DESC = "(ILjava/lang/Object;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";
    private static final String AFTER_THROW_DESC = "(Ljava/lang/Throwable;ILjava/io/FileDescriptor;)V";

    private HookMethods() {
    }

    /** The native bind call inside a hooked method, and the bridge method with the same stack effect. */
    static final class CallReplacement {
        final int opcode;
        final String name;
        final String descriptor;
        final String bridgeMethod;
        final String bridgeDescriptor;

        CallReplacement(int opcode, String name, String descriptor, String bridgeMethod, String bridgeDescriptor) {
            this.opcode = opcode;
            this.name = name;
            this.descriptor = descriptor;
            this.bridgeMethod = bridgeMethod;
            this.bridgeDescriptor = bridgeDescriptor;
        }
    }

    static CallReplacement callReplacement(HookPoint point) {
        switch (point.site) {
            case Sites.NET_BIND: // static native void bind0(FileDescriptor, boolean, boolean, InetAddress, int)
                return new CallReplacement(Opcodes.INVOKESTATIC, "bind0",
                        "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V", "netBind0",
                        "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V");
            case Sites.LEGACY_TCP_BIND: // this.socketBind(InetAddress, int)
                return new CallReplacement(Opcodes.INVOKEVIRTUAL, "socketBind", "(Ljava/net/InetAddress;I)V",
                        "legacyTcpBind", "(Ljava/lang/Object;Ljava/net/InetAddress;I)V");
            case Sites.LEGACY_UDP_BIND: // this.bind0(int, InetAddress)
                return new CallReplacement(Opcodes.INVOKEVIRTUAL, "bind0", "(ILjava/net/InetAddress;)V",
                        "legacyUdpBind", "(Ljava/lang/Object;ILjava/net/InetAddress;)V");
            default:
                return null;
        }
    }

    /** Whether the method's body is wrapped in the catch-all handler (the explicit binds). */
    static boolean wrapsBody(HookPoint point) {
        return point.site == Sites.NET_BIND || point.site == Sites.LEGACY_TCP_BIND
                || point.site == Sites.LEGACY_UDP_BIND;
    }

    /** The code put at the method's entry, padded with {@code nop} to a multiple of 4 bytes. */
    static byte[] prefix(HookPoint point, ClassFilePatcher cls, Pool pool) throws IOException {
        String owner = cls.className;
        Code c = new Code();
        switch (point.site) {
            case Sites.NET_BIND:
                // static bind(ProtocolFamily family, FileDescriptor fd, InetAddress addr, int port); the family is
                // the context (a backend that binds needs it to pick the socket address's family)
                c.iconst(point.site).local(Opcodes.ALOAD, 0).local(Opcodes.ALOAD, 1).local(Opcodes.ALOAD, 2)
                        .local(Opcodes.ILOAD, 3).invokestatic(pool.methodRef(BRIDGE, "before", BEFORE_DESC))
                        .local(Opcodes.ISTORE, 3);
                break;
            case Sites.LEGACY_TCP_BIND: // protected synchronized void bind(InetAddress address, int lport)
                legacyBefore(c, point, owner, pool, 1, 2);
                break;
            case Sites.LEGACY_UDP_BIND: // protected synchronized void bind(int lport, InetAddress laddr)
                legacyBefore(c, point, owner, pool, 2, 1);
                break;
            case Sites.IMPLICIT_TCP:
                // static beforeTcpConnect(FileDescriptor fd, InetAddress remote, int remotePort): the remote
                // address travels as context; the local address is unspecified and the local port is 0.
                c.iconst(point.site).local(Opcodes.ALOAD, 1).local(Opcodes.ALOAD, 0).op(Opcodes.ACONST_NULL)
                        .iconst(0).invokestatic(pool.methodRef(BRIDGE, "before", BEFORE_DESC)).op(Opcodes.POP);
                break;
            case Sites.IMPLICIT_TCP_ON_CONNECT:
                // JDK 26+ static Net.connect(ProtocolFamily family, FileDescriptor fd, InetAddress remote, int port):
                // as IMPLICIT_TCP; the dispatcher first checks that the socket is TCP and unbound.
                c.iconst(point.site).local(Opcodes.ALOAD, 2).local(Opcodes.ALOAD, 1).op(Opcodes.ACONST_NULL)
                        .iconst(0).invokestatic(pool.methodRef(BRIDGE, "before", BEFORE_DESC)).op(Opcodes.POP);
                break;
            case Sites.IMPLICIT_UDP: {
                // DatagramChannelImpl.send/connect: bind first when unbound, so that Net.bind sees it.
                String type = cls.fieldDescriptor("localAddress");
                if (type == null) {
                    throw new IOException(owner + " has no field localAddress");
                }
                c.local(Opcodes.ALOAD, 0).op(Opcodes.GETFIELD).u2(pool.fieldRef(owner, "localAddress", type))
                        .local(Opcodes.ALOAD, 0).invokestatic(pool.methodRef(BRIDGE, "beforeImplicitUdpBind",
                        "(Ljava/lang/Object;Ljava/nio/channels/DatagramChannel;)V"));
                break;
            }
            default:
                throw new IOException("unknown site " + point.site);
        }
        while (c.size() % 4 != 0) {
            c.op(Opcodes.NOP);
        }
        return c.toByteArray();
    }

    /** {@code port = before(site, this, this.fd, address, port)} for the legacy impls' bind methods. */
    private static void legacyBefore(Code c, HookPoint point, String owner, Pool pool, int addressSlot,
                                     int portSlot) {
        // this.fd: SocketImpl.fd / DatagramSocketImpl.fd, protected, same package
        c.iconst(point.site).local(Opcodes.ALOAD, 0).local(Opcodes.ALOAD, 0).op(Opcodes.GETFIELD)
                .u2(pool.fieldRef(owner, "fd", "Ljava/io/FileDescriptor;")).local(Opcodes.ALOAD, addressSlot)
                .local(Opcodes.ILOAD, portSlot).invokestatic(pool.methodRef(BRIDGE, "before", BEFORE_DESC))
                .local(Opcodes.ISTORE, portSlot);
    }

    /** The catch-all handler appended after the method's code: report the failure, rethrow it unchanged. */
    static byte[] handler(HookPoint point, Pool pool) {
        return new Code().op(Opcodes.DUP).iconst(point.site).op(Opcodes.ACONST_NULL)
                .invokestatic(pool.methodRef(BRIDGE, "afterThrow", AFTER_THROW_DESC)).op(Opcodes.ATHROW)
                .toByteArray();
    }

    /** A few bytes of straight-line code. */
    private static final class Code extends ByteArrayOutputStream {
        Code op(int opcode) {
            write(opcode);
            return this;
        }

        Code u2(int v) {
            ClassFilePatcher.writeU2(this, v);
            return this;
        }

        Code iconst(int v) {
            if (v >= -1 && v <= 5) {
                return op(Opcodes.ICONST_0 + v);
            }
            return op(Opcodes.BIPUSH).op(v);
        }

        /** iload, aload or istore of a local slot, in the one-byte form for slots 0-3. */
        Code local(int opcode, int slot) {
            if (slot <= 3) {
                // iload_0 = 0x1a, aload_0 = 0x2a, istore_0 = 0x3b: each family's four short forms in a row
                int base = opcode == Opcodes.ILOAD ? 0x1a : opcode == Opcodes.ALOAD ? 0x2a : 0x3b;
                return op(base + slot);
            }
            return op(opcode).op(slot);
        }

        Code invokestatic(int methodRef) {
            return op(Opcodes.INVOKESTATIC).u2(methodRef);
        }
    }
}
