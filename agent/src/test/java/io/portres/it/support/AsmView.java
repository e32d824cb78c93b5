package io.portres.it.support;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

import java.util.ArrayList;
import java.util.List;

/** What the tests of the class-file patcher read of a class with ASM. */
public final class AsmView {

    private AsmView() {
    }

    public static ClassNode node(byte[] bytes) {
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(n, 0);
        return n;
    }

    /** The method's instructions without labels, line numbers and frames. */
    public static List<AbstractInsnNode> real(MethodNode m) {
        List<AbstractInsnNode> out = new ArrayList<AbstractInsnNode>();
        for (AbstractInsnNode n : m.instructions) {
            if (n.getOpcode() >= 0) {
                out.add(n);
            }
        }
        return out;
    }

    public static List<Integer> opcodes(MethodNode m) {
        List<Integer> out = new ArrayList<Integer>();
        for (AbstractInsnNode n : real(m)) {
            out.add(n.getOpcode());
        }
        return out;
    }
}
