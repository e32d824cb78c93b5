package io.portres.agent.hook.point;

import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The explicit binds' edit (A, B, C): the one call of the JDK's native bind inside the method becomes an
 * {@code invokestatic} of the bridge with the same stack effect (an instance call's receiver becomes the bridge
 * method's first argument). The bridge method receives descriptor, address, port and impl, and does everything: the
 * decision, the native bind (by the JDK or a backend), the report of the bound port or the failure.
 */
abstract class NativeCallHook extends BindHook {
    private final int opcode;
    private final String nativeName;
    private final String nativeDescriptor;
    private final String bridgeMethod;
    private final String bridgeDescriptor;

    NativeCallHook(int site, String letter, String owner, String method, String descriptor, int opcode,
                   String nativeName, String nativeDescriptor, String bridgeMethod, String bridgeDescriptor) {
        super(site, letter, owner, method, descriptor, 0);
        this.opcode = opcode;
        this.nativeName = nativeName;
        this.nativeDescriptor = nativeDescriptor;
        this.bridgeMethod = bridgeMethod;
        this.bridgeDescriptor = bridgeDescriptor;
    }

    @Override
    public final String bridgeCall() {
        return bridgeMethod + bridgeDescriptor;
    }

    @Override
    public final String nativeCall() {
        return owner() + "." + nativeName + nativeDescriptor;
    }

    @Override
    public final MethodVisitor edit(MethodVisitor writer, ClassShape cls) {
        final String self = cls.name(); // the native bind is the class's own method
        return new MethodVisitor(ClassShape.ASM_API, writer) {
            private int replaced;

            @Override
            public void visitMethodInsn(int op, String owner, String callee, String desc, boolean itf) {
                if (op == opcode && callee.equals(nativeName) && desc.equals(nativeDescriptor) && owner.equals(self)) {
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, bridgeMethod, bridgeDescriptor, false);
                    replaced++;
                } else {
                    super.visitMethodInsn(op, owner, callee, desc, itf);
                }
            }

            @Override
            public void visitEnd() {
                if (replaced != 1) { // refuse a shape we did not study: the class stays as it is
                    throw new IllegalStateException(self + "." + method() + " calls " + nativeName + " " + replaced
                            + " times, expected once");
                }
                super.visitEnd();
            }
        };
    }
}
