package io.portres.it.apps;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * A second -javaagent, listed before portres, that does what the issue describes: it moves the native call of
 * {@code sun.nio.ch.Net.bind} ({@code bind0}) into a method of its own ({@code otherAgent$bind0}), as a tracing agent
 * wrapping it would. Its transformer cannot retransform, so the JVM runs it before portres's when {@code Net} loads:
 * portres then finds no {@code bind0} call to replace. Binds keep working, through the moved call. Needs ASM on the
 * class path.
 */
public final class MovesNetBindAgent {
    static final String NET = "sun/nio/ch/Net";
    static final String BIND0 = "(Ljava/io/FileDescriptor;ZZLjava/net/InetAddress;I)V";
    static final String MOVED = "otherAgent$bind0";

    public static void premain(String args, Instrumentation inst) {
        inst.addTransformer(new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd,
                                    byte[] bytes) {
                if (loader != null || !NET.equals(name) || redefined != null) {
                    return null;
                }
                try {
                    return move(bytes);
                } catch (Throwable t) {
                    t.printStackTrace();
                    return null;
                }
            }
        });
    }

    public static byte[] move(byte[] bytes) {
        final int version = ((bytes[6] & 0xFF) << 8) | (bytes[7] & 0xFF);
        byte[] parse = bytes.clone();
        if (version > 65) { // newer than this ASM may know: parse as Java 21, write the class's own version back
            parse[6] = 0;
            parse[7] = 65;
        }
        ClassReader reader = new ClassReader(parse);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int v, int access, String name, String sig, String sup, String[] itfs) {
                super.visit(version, access, name, sig, sup, itfs);
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exc) {
                MethodVisitor mv = super.visitMethod(access, name, desc, sig, exc);
                if (!name.equals("bind") || !desc.startsWith("(Ljava/net/ProtocolFamily;")) {
                    return mv;
                }
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitMethodInsn(int op, String owner, String n, String d, boolean itf) {
                        if (owner.equals(NET) && n.equals("bind0") && d.equals(BIND0)) {
                            n = MOVED;
                        }
                        super.visitMethodInsn(op, owner, n, d, itf);
                    }
                };
            }

            @Override
            public void visitEnd() {
                MethodVisitor mv = super.visitMethod(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC, MOVED, BIND0, null,
                        new String[] {"java/io/IOException"});
                mv.visitCode();
                mv.visitVarInsn(Opcodes.ALOAD, 0);
                mv.visitVarInsn(Opcodes.ILOAD, 1);
                mv.visitVarInsn(Opcodes.ILOAD, 2);
                mv.visitVarInsn(Opcodes.ALOAD, 3);
                mv.visitVarInsn(Opcodes.ILOAD, 4);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, NET, "bind0", BIND0, false);
                mv.visitInsn(Opcodes.RETURN);
                mv.visitMaxs(0, 0);
                mv.visitEnd();
                super.visitEnd();
            }
        }, 0);
        return writer.toByteArray();
    }
}
