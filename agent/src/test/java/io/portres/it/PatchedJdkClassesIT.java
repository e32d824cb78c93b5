package io.portres.it;

import io.portres.agent.hook.PatcherProbe;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.BasicVerifier;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static io.portres.it.support.AsmView.node;
import static io.portres.it.support.AsmView.opcodes;
import static io.portres.it.support.AsmView.real;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's class-file patcher applied to the real hooked classes of every JDK of the matrix (read from each JDK's
 * image, not loaded), checked with ASM: the class parses, the changed methods pass ASM's bytecode analysis, the
 * inlined code is where it must be, and everything else is unchanged. The forked-JVM tests then run the same
 * classes under {@code -Xverify:all}, which also checks the stack map frames.
 */
class PatchedJdkClassesIT {

    static List<Arguments> classes() throws IOException {
        List<Arguments> out = new ArrayList<Arguments>();
        for (Jdk jdk : JdkMatrix.all()) {
            if (jdk.home == null) {
                continue;
            }
            for (String owner : PatcherProbe.owners()) {
                out.add(Arguments.of(jdk, owner));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("classes")
    void patchedClassIsValidAndChangesOnlyTheHookedMethods(Jdk jdk, String owner) throws Exception {
        byte[] original = classBytes(jdk, owner);
        Assumptions.assumeTrue(original != null, owner + " is not in JDK " + jdk.feature);
        List<String> instrumented = new ArrayList<String>();
        byte[] patched = PatcherProbe.instrument(original, owner, instrumented);
        boolean legacyOnly = owner.equals("sun/nio/ch/DatagramChannelImpl");
        if (patched == null) {
            assertThat(legacyOnly && jdk.feature >= 17).as("only JDK 17+ DatagramChannelImpl needs no hook").isTrue();
            return;
        }
        assertThat(instrumented).isNotEmpty();

        ClassNode before = node(original);
        ClassNode after = node(patched);
        assertThat(after.methods).hasSameSizeAs(before.methods);
        assertThat(after.fields).hasSameSizeAs(before.fields);
        for (int i = 0; i < before.methods.size(); i++) {
            MethodNode b = before.methods.get(i);
            MethodNode a = after.methods.get(i);
            assertThat(a.name + a.desc).isEqualTo(b.name + b.desc);
            boolean hooked = instrumented.contains(owner.replace('/', '.') + "." + a.name)
                    && PatcherProbe.isHooked(owner, a.name, a.desc);
            if (!hooked) {
                assertThat(opcodes(a)).as(a.name + a.desc + " untouched").isEqualTo(opcodes(b));
                continue;
            }
            new Analyzer<>(new BasicVerifier()).analyze(after.name, a); // throws on any inconsistency
            List<AbstractInsnNode> code = real(a);
            MethodInsnNode firstCall = firstCall(code);
            assertThat(firstCall.owner).isEqualTo("sun/nio/ch/PortresBridge");
            assertThat(firstCall.name).isIn("before", "beforeImplicitUdpBind");
            String nativeCall = PatcherProbe.nativeCall(owner, a.name, a.desc);
            if (nativeCall != null) {
                assertThat(calls(code)).as("the native bind goes through the bridge").doesNotContain(nativeCall)
                        .anyMatch(c -> c.startsWith("sun/nio/ch/PortresBridge."));
                TryCatchBlockNode last = a.tryCatchBlocks.get(a.tryCatchBlocks.size() - 1);
                assertThat(last.type).isEqualTo("java/lang/Throwable");
                assertThat(a.tryCatchBlocks.subList(0, a.tryCatchBlocks.size() - 1))
                        .as("the method's own handlers keep priority")
                        .hasSameSizeAs(b.tryCatchBlocks);
                List<AbstractInsnNode> tail = code.subList(code.size() - 5, code.size());
                assertThat(tail.get(0).getOpcode()).isEqualTo(Opcodes.DUP);
                assertThat(((MethodInsnNode) tail.get(3)).name).isEqualTo("afterThrow");
                assertThat(tail.get(4).getOpcode()).isEqualTo(Opcodes.ATHROW);
            }
            // the original code follows the prefix unchanged, apart from the one replaced call
            List<Integer> original0 = opcodes(b);
            List<Integer> patched0 = opcodes(a);
            assertThat(Collections.indexOfSubList(patched0, withoutNativeCallOpcode(original0, b, nativeCall)))
                    .as("original body inside the patched method").isPositive();
        }
    }

    private static List<Integer> withoutNativeCallOpcode(List<Integer> opcodes, MethodNode m, String nativeCall) {
        if (nativeCall == null) {
            return opcodes;
        }
        List<Integer> out = new ArrayList<Integer>(opcodes);
        List<AbstractInsnNode> code = real(m);
        for (int i = 0; i < code.size(); i++) {
            AbstractInsnNode n = code.get(i);
            if (n instanceof MethodInsnNode && nativeCall.equals(call((MethodInsnNode) n))) {
                out.set(i, Opcodes.INVOKESTATIC);
            }
        }
        return out;
    }

    private static byte[] classBytes(Jdk jdk, String owner) throws IOException {
        File rt = new File(jdk.home, "jre/lib/rt.jar");
        if (!rt.isFile()) {
            rt = new File(jdk.home, "lib/rt.jar");
        }
        if (rt.isFile()) { // JDK 8
            try (JarFile jar = new JarFile(rt)) {
                ZipEntry e = jar.getEntry(owner + ".class");
                if (e == null) {
                    return null;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    return readAll(in);
                }
            }
        }
        try (FileSystem jrt = FileSystems.newFileSystem(URI.create("jrt:/"),
                Collections.singletonMap("java.home", jdk.home))) {
            Path p = jrt.getPath("/modules/java.base/" + owner + ".class");
            return Files.exists(p) ? Files.readAllBytes(p) : null;
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static MethodInsnNode firstCall(List<AbstractInsnNode> code) {
        for (AbstractInsnNode n : code) {
            if (n instanceof MethodInsnNode) {
                return (MethodInsnNode) n;
            }
        }
        throw new AssertionError("no call");
    }

    private static List<String> calls(List<AbstractInsnNode> code) {
        List<String> out = new ArrayList<String>();
        for (AbstractInsnNode n : code) {
            if (n instanceof MethodInsnNode) {
                out.add(call((MethodInsnNode) n));
            }
        }
        return out;
    }

    private static String call(MethodInsnNode n) {
        return n.owner + "." + n.name + n.desc;
    }
}
