package io.portres.agent.hook;

import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Writes the code inlined into one JDK bind method:
 * <pre>
 *   port = PortresBridge.before(site, context, fd, address, port);   // may throw the deliberate BindException
 *   try {
 *       ...original body, where the native bind call (Net.bind0, socketBind, bind0) becomes
 *          PortresBridge.netBind0/legacyTcpBind/legacyUdpBind(same arguments)   // a backend may bind it itself
 *       before each return: PortresBridge.after(site, fd, boundPort)
 *   } catch (Throwable t) {
 *       PortresBridge.afterThrow(t, site, fd); throw t;
 *   }
 * </pre>
 * Hazards handled here:
 * <ul>
 *   <li>No frames can be computed (that would load classes inside a transformer), so the new code has no branches
 *       (they live in the bridge) and the one frame it needs is written by hand: the handler's, the initial locals
 *       with a Throwable on the stack, which every point of the original body satisfies (javac never stores another
 *       type in a parameter slot). The native bind call is replaced by a static call with the same stack effect.</li>
 *   <li>The handler is registered in {@code visitMaxs}, so it is the last entry of the exception table and never
 *       pre-empts the method's own handlers.</li>
 *   <li>Only JDK types and the bridge are referenced.</li>
 * </ul>
 */
final class HookMethodVisitor extends MethodVisitor {

    static final String BRIDGE = "sun/nio/ch/PortresBridge";
    private static final String FD = "Ljava/io/FileDescriptor;";
    private static final String BEFORE_DESC = "(ILjava/lang/Object;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";
    private static final String AFTER_DESC = "(ILjava/io/FileDescriptor;I)V";
    private static final String AFTER_THROW_DESC = "(Ljava/lang/Throwable;ILjava/io/FileDescriptor;)V";

    private final HookPoint point;
    private final String owner;
    private final boolean isStatic;
    private final String methodDescriptor;
    private final BindTransformer.ClassShape shape;
    private final Label tryStart = new Label();
    private final Label handler = new Label();

    HookMethodVisitor(MethodVisitor next, HookPoint point, String owner, int access, String methodDescriptor,
                      BindTransformer.ClassShape shape) {
        super(Opcodes.ASM9, next);
        this.point = point;
        this.owner = owner;
        this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
        this.methodDescriptor = methodDescriptor;
        this.shape = shape;
    }

    private boolean wrapsBody() {
        return point.site == Sites.NET_BIND || point.site == Sites.LEGACY_TCP_BIND
                || point.site == Sites.LEGACY_UDP_BIND;
    }

    @Override
    public void visitCode() {
        super.visitCode();
        switch (point.site) {
            case Sites.NET_BIND:
                // static bind(ProtocolFamily family, FileDescriptor fd, InetAddress addr, int port); the family is
                // the context (a backend that binds needs it to pick the socket address's family)
                push(point.site);
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitVarInsn(Opcodes.ALOAD, 1);
                super.visitVarInsn(Opcodes.ALOAD, 2);
                super.visitVarInsn(Opcodes.ILOAD, 3);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "before", BEFORE_DESC, false);
                super.visitVarInsn(Opcodes.ISTORE, 3);
                break;
            case Sites.LEGACY_TCP_BIND:
                legacyBefore(1, 2); // protected synchronized void bind(InetAddress address, int lport)
                break;
            case Sites.LEGACY_UDP_BIND:
                legacyBefore(2, 1); // protected synchronized void bind(int lport, InetAddress laddr)
                break;
            case Sites.IMPLICIT_TCP:
                // static beforeTcpConnect(FileDescriptor fd, InetAddress remote, int remotePort): the remote
                // address travels as context; the local address is unspecified and the local port is 0.
                push(point.site);
                super.visitVarInsn(Opcodes.ALOAD, 1);
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitInsn(Opcodes.ACONST_NULL);
                super.visitInsn(Opcodes.ICONST_0);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "before", BEFORE_DESC, false);
                super.visitInsn(Opcodes.POP);
                break;
            case Sites.IMPLICIT_UDP:
                // DatagramChannelImpl.send/connect: bind first when unbound, so that Net.bind sees it.
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitFieldInsn(Opcodes.GETFIELD, owner, "localAddress", shape.fieldDescriptors.get("localAddress"));
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "beforeImplicitUdpBind",
                        "(Ljava/lang/Object;Ljava/nio/channels/DatagramChannel;)V", false);
                break;
            default:
                throw new IllegalStateException("unknown site " + point.site);
        }
        if (wrapsBody()) {
            super.visitLabel(tryStart);
        }
    }

    /** {@code port = before(site, this, this.fd, address, port)} for the legacy impls' bind methods. */
    private void legacyBefore(int addressSlot, int portSlot) {
        push(point.site);
        super.visitVarInsn(Opcodes.ALOAD, 0); // context: the SocketImpl/DatagramSocketImpl itself
        loadFd();
        super.visitVarInsn(Opcodes.ALOAD, addressSlot);
        super.visitVarInsn(Opcodes.ILOAD, portSlot);
        super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "before", BEFORE_DESC, false);
        super.visitVarInsn(Opcodes.ISTORE, portSlot);
    }

    /** The native bind call inside the hooked method goes to the bridge instead, with the same stack effect. */
    @Override
    public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
        if (point.site == Sites.NET_BIND && opcode == Opcodes.INVOKESTATIC && name.equals("bind0")
                && descriptor.equals("(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V")) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "netBind0", descriptor, false);
            return;
        }
        if (point.site == Sites.LEGACY_TCP_BIND && opcode == Opcodes.INVOKEVIRTUAL && name.equals("socketBind")
                && descriptor.equals("(Ljava/net/InetAddress;I)V")) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "legacyTcpBind",
                    "(Ljava/lang/Object;Ljava/net/InetAddress;I)V", false);
            return;
        }
        if (point.site == Sites.LEGACY_UDP_BIND && opcode == Opcodes.INVOKEVIRTUAL && name.equals("bind0")
                && descriptor.equals("(ILjava/net/InetAddress;)V")) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "legacyUdpBind",
                    "(Ljava/lang/Object;ILjava/net/InetAddress;)V", false);
            return;
        }
        super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
    }

    @Override
    public void visitInsn(int opcode) {
        if (wrapsBody() && opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
            push(point.site);
            loadFd();
            loadBoundPort();
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "after", AFTER_DESC, false);
        }
        super.visitInsn(opcode);
    }

    @Override
    public void visitMaxs(int maxStack, int maxLocals) {
        if (wrapsBody()) {
            super.visitTryCatchBlock(tryStart, handler, handler, "java/lang/Throwable");
            super.visitLabel(handler);
            Object[] locals = initialLocals();
            super.visitFrame(Opcodes.F_FULL, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
            super.visitInsn(Opcodes.DUP);
            push(point.site);
            loadFd();
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "afterThrow", AFTER_THROW_DESC, false);
            super.visitInsn(Opcodes.ATHROW);
        }
        super.visitMaxs(maxStack, maxLocals);
    }

    private void loadFd() {
        if (point.site == Sites.NET_BIND) {
            super.visitVarInsn(Opcodes.ALOAD, 1);
        } else {
            // this.fd: SocketImpl.fd / DatagramSocketImpl.fd, protected, same package
            super.visitVarInsn(Opcodes.ALOAD, 0);
            super.visitFieldInsn(Opcodes.GETFIELD, owner, "fd", FD);
        }
    }

    private void loadBoundPort() {
        switch (point.site) {
            case Sites.LEGACY_TCP_BIND: // set by socketBind from getsockname
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitFieldInsn(Opcodes.GETFIELD, owner, "localport", "I");
                break;
            case Sites.LEGACY_UDP_BIND: // set by bind0 from getsockname
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitFieldInsn(Opcodes.GETFIELD, owner, "localPort", "I");
                break;
            default: // the dispatcher asks Net.localAddress(fd), and only for binds it matched
                super.visitInsn(Opcodes.ICONST_M1);
        }
    }

    private Object[] initialLocals() {
        Type[] args = Type.getArgumentTypes(methodDescriptor);
        Object[] locals = new Object[args.length + (isStatic ? 0 : 1)];
        int i = 0;
        if (!isStatic) {
            locals[i++] = owner;
        }
        for (Type t : args) {
            locals[i++] = frameType(t);
        }
        return locals;
    }

    private static Object frameType(Type t) {
        switch (t.getSort()) {
            case Type.BOOLEAN:
            case Type.BYTE:
            case Type.CHAR:
            case Type.SHORT:
            case Type.INT:
                return Opcodes.INTEGER;
            case Type.FLOAT:
                return Opcodes.FLOAT;
            case Type.LONG:
                return Opcodes.LONG;
            case Type.DOUBLE:
                return Opcodes.DOUBLE;
            default:
                return t.getInternalName();
        }
    }

    private void push(int value) {
        if (value >= -1 && value <= 5) {
            super.visitInsn(Opcodes.ICONST_0 + value);
        } else {
            super.visitIntInsn(Opcodes.BIPUSH, value);
        }
    }
}
