package io.portres.it;

import io.portres.agent.hook.HookProbe;
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
 * The agent's transformer applied to the real hooked classes of every JDK of the matrix (read from each JDK's image,
 * not loaded), checked with the reference ASM: the class parses, the changed methods pass ASM's bytecode analysis,
 * the edit is exactly the one intended (the native bind call replaced one for one, or the bridge called first, then
 * the original code), nothing was read experimentally, and every other method is unchanged. The forked-JVM tests
 * then run the same classes under {@code -Xverify:all}, which also checks the stack map frames.
 */
class PatchedJdkClassesIT {

    static List<Arguments> classes() throws IOException {
        List<Arguments> out = new ArrayList<Arguments>();
        for (Jdk jdk : JdkMatrix.all()) {
            if (jdk.home == null) {
                continue;
            }
            for (String owner : HookProbe.owners()) {
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
        List<String> notes = new ArrayList<String>();
        byte[] patched = HookProbe.instrument(original, owner, instrumented, notes);
        assertThat(notes).as("failures and experimental reads").isEmpty();
        boolean legacyOnly = owner.equals("sun/nio/ch/DatagramChannelImpl");
        if (patched == null) {
            assertThat(legacyOnly && jdk.feature >= 17).as("only JDK 17+ DatagramChannelImpl needs no hook").isTrue();
            return;
        }
        assertThat(instrumented).isNotEmpty();

        ClassNode before = node(original);
        ClassNode after = node(patched);
        assertThat(after.version).isEqualTo(before.version);
        assertThat(after.methods).hasSameSizeAs(before.methods);
        assertThat(after.fields).hasSameSizeAs(before.fields);
        for (int i = 0; i < before.methods.size(); i++) {
            MethodNode b = before.methods.get(i);
            MethodNode a = after.methods.get(i);
            assertThat(a.name + a.desc).isEqualTo(b.name + b.desc);
            boolean hooked = instrumented.contains(owner.replace('/', '.') + "." + a.name)
                    && HookProbe.isHooked(owner, a.name, a.desc);
            if (!hooked) {
                assertThat(opcodes(a)).as(a.name + a.desc + " untouched").isEqualTo(opcodes(b));
                continue;
            }
            new Analyzer<>(new BasicVerifier()).analyze(after.name, a); // throws on any inconsistency
            assertThat(a.tryCatchBlocks).as("no handler added").hasSameSizeAs(b.tryCatchBlocks);
            List<AbstractInsnNode> code = real(a);
            String nativeCall = HookProbe.nativeCall(owner, a.name, a.desc);
            if (nativeCall != null) {
                assertThat(calls(code)).as("the native bind goes through the bridge").doesNotContain(nativeCall)
                        .filteredOn(c -> c.startsWith("sun/nio/ch/PortresBridge.")).hasSize(1);
                assertThat(opcodes(a)).as("one call replaced by one call, nothing else")
                        .isEqualTo(withoutNativeCallOpcode(opcodes(b), b, nativeCall));
            } else {
                MethodInsnNode firstCall = firstCall(code);
                assertThat(firstCall.owner).isEqualTo("sun/nio/ch/PortresBridge");
                assertThat(firstCall.name).isIn("implicitTcpBind", "implicitTcpConnect", "beforeImplicitUdpBind",
                        "channelBind");
                List<Integer> patched0 = opcodes(a);
                assertThat(patched0.subList(patched0.size() - opcodes(b).size(), patched0.size()))
                        .as("the original body follows the bridge call").isEqualTo(opcodes(b));
            }
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
