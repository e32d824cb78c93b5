package io.portres.agent.hook.point;

import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The edit where there is no bind call to replace (D, D', E, F): a call of the bridge at the method's entry, on some
 * of its arguments (or a field of {@code this}).
 */
abstract class EntryCallHook extends BindHook {
    /** Stands for {@code this.localAddress} among the {@link #arguments}. */
    static final int THIS_LOCAL_ADDRESS = -1;

    private final String bridgeMethod;
    private final String bridgeDescriptor;
    /** Local slots loaded as the bridge method's arguments, in order; {@link #THIS_LOCAL_ADDRESS} for that field. */
    private final int[] arguments;

    EntryCallHook(int site, String letter, String owner, String method, String descriptor, int minClassFileVersion,
                  String bridgeMethod, String bridgeDescriptor, int... arguments) {
        super(site, letter, owner, method, descriptor, minClassFileVersion);
        this.bridgeMethod = bridgeMethod;
        this.bridgeDescriptor = bridgeDescriptor;
        this.arguments = arguments;
    }

    @Override
    public final String bridgeCall() {
        return bridgeMethod + bridgeDescriptor;
    }

    @Override
    public final MethodVisitor edit(MethodVisitor writer, final ClassShape cls) {
        final String localAddressType = cls.fieldDescriptor("localAddress");
        return new MethodVisitor(ClassShape.ASM_API, writer) {
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
