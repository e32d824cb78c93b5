package io.portres.agent.hook;

import io.portres.agent.hook.point.HookPoint;
import io.portres.agent.hook.point.Sites;
import io.portres.agent.hook.point.ClassShape;

import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import net.bytebuddy.utility.OpenedClassReader;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A raw {@link ClassFileTransformer}: it rewrites only the few JDK classes of {@link HookPoint} and returns
 * {@code null} (no change) for everything else after one map look-up.
 *
 * <p>The edit is made with the ASM that Byte Buddy bundles ({@code net.bytebuddy.jar.asm}, relocated into the agent
 * jar), with Byte Buddy's {@link OpenedClassReader} for class files newer than that ASM knows: Byte Buddy's {@code AgentBuilder} costs 400-800 ms of
 * start-up, its bundled ASM a few milliseconds (docs/how-it-works.md, BENCHMARKS.md). The writer is built on the
 * reader, so every method but the hooked ones is copied byte for byte; the hooked ones get {@code COMPUTE_MAXS}
 * (their edits add no branch, so the method's own stack map frames stay valid and none is computed: computing frames
 * would load classes from inside a transformer of {@code java.base}).
 *
 * <p>A class file newer than the bundled ASM knows (a JDK released after this Byte Buddy) is read in Byte Buddy's
 * experimental mode (its version is lowered for the parse only, the written class keeps its own), and this is
 * reported as a note: the edits touch one call or a method's entry, and ASM still refuses any instruction or
 * structure it does not know (then the class stays unchanged, with a warning).
 *
 * <p>A transformer must never throw (the JVM would silently load the class unchanged anyway) and must not log
 * while a class is being defined: failures and notes are collected and reported later by the installer.
 */
public final class BindTransformer implements ClassFileTransformer {


    private final Map<String, List<HookPoint>> pointsByOwner = new HashMap<String, List<HookPoint>>();
    private final List<String> instrumented = Collections.synchronizedList(new ArrayList<String>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<String>());
    private final List<String> notes = Collections.synchronizedList(new ArrayList<String>());
    /** The hook points edited so far, and why a point of a class that was read was not (for the self-test). */
    private final Set<HookPoint> applied = Collections.synchronizedSet(EnumSet.noneOf(HookPoint.class));
    private final Map<HookPoint, String> notApplied = Collections.synchronizedMap(
            new java.util.EnumMap<HookPoint, String>(HookPoint.class));
    private final Set<HookPoint> skipped = EnumSet.noneOf(HookPoint.class);

    public BindTransformer(Set<HookPoint> points) {
        for (HookPoint p : points) {
            List<HookPoint> list = pointsByOwner.get(p.owner());
            if (list == null) {
                list = new ArrayList<HookPoint>(2);
                pointsByOwner.put(p.owner(), list);
            }
            list.add(p);
        }
    }

    /**
     * Every hook point, but the channel-bind entries (F) only where the Windows backend can run
     * ({@code channelBinds}): they serve only its fresh socket for a full block under {@code onError: continue},
     * and elsewhere would only make the application's first channel rewrite three more JDK classes on its own
     * thread (BENCHMARKS.md).
     */
    public static BindTransformer forHookPoints(boolean channelBinds) {
        return forHookPointsBut(System.getProperty(SKIP_PROPERTY), channelBinds);
    }

    /**
     * A test switch: {@code -Dportres.test.skipHook=<HookPoint name>} leaves that point out, as if its method no
     * longer matched, so that the self-test's handling of a gap can be tested on every JDK.
     */
    public static final String SKIP_PROPERTY = "portres.test.skipHook";

    static BindTransformer forAllHookPointsBut(String skip) {
        return forHookPointsBut(skip, true);
    }

    private static BindTransformer forHookPointsBut(String skip, boolean channelBinds) {
        EnumSet<HookPoint> points = EnumSet.allOf(HookPoint.class);
        EnumSet<HookPoint> left = EnumSet.noneOf(HookPoint.class);
        for (HookPoint p : HookPoint.values()) {
            if (p.name().equals(skip)) {
                points.remove(p);
                left.add(p);
            } else if (!channelBinds && p.site() == Sites.CHANNEL_BIND) {
                points.remove(p); // not in use here: never reported as a gap
            }
        }
        BindTransformer t = new BindTransformer(points);
        t.skipped.addAll(left);
        return t;
    }

    /** The hook points this transformer has edited into a loaded class. */
    public Set<HookPoint> applied() {
        EnumSet<HookPoint> out = EnumSet.noneOf(HookPoint.class);
        synchronized (applied) {
            out.addAll(applied);
        }
        return out;
    }

    /**
     * Why {@code p} is not applied: its class was read but the edit failed or the method was not there, or it was
     * left out by the test switch; null when nothing is known (its class was not loaded).
     */
    public String whyNotApplied(HookPoint p) {
        if (skipped.contains(p)) {
            return "left out by -D" + SKIP_PROPERTY + "=" + p.name();
        }
        return notApplied.get(p);
    }

    /** Binary names of the classes this transformer rewrites. */
    public Set<String> targetClassNames() {
        Set<String> names = new HashSet<String>();
        for (String owner : pointsByOwner.keySet()) {
            names.add(owner.replace('/', '.'));
        }
        return names;
    }

    /** "owner.method" of every method instrumented so far. */
    public List<String> instrumented() {
        return copy(instrumented);
    }

    public List<String> failures() {
        return copy(failures);
    }

    /** What was done knowingly but deserves a line in the log (a class file newer than the bundled ASM). */
    public List<String> notes() {
        return copy(notes);
    }

    private static List<String> copy(List<String> list) {
        synchronized (list) {
            return new ArrayList<String>(list);
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (loader != null || className == null) {
            return null; // every target is a bootstrap class
        }
        List<HookPoint> points = pointsByOwner.get(className);
        if (points == null) {
            return null;
        }
        try {
            return instrument(classfileBuffer, points);
        } catch (Throwable t) {
            failures.add(className + ": " + t);
            for (HookPoint p : points) {
                notApplied.put(p, "the edit failed: " + t);
            }
            return null;
        }
    }

    byte[] instrument(byte[] classfile, List<HookPoint> points) {
        ClassReader reader = read(classfile, points.get(0).owner());
        ClassShape shape = ClassShape.of(reader);
        final Map<String, HookPoint> applicable = new HashMap<String, HookPoint>();
        for (HookPoint p : points) {
            if (p.appliesTo(shape)) {
                applicable.put(p.method() + p.descriptor(), p);
            } else {
                notApplied.put(p, shape.hasMethod(p.method(), p.descriptor()) ? "does not apply to this class's shape"
                        : "no method " + p.method() + p.descriptor() + " in this class");
            }
        }
        if (applicable.isEmpty()) {
            return null;
        }
        final ClassShape cls = shape;
        final List<String> done = new ArrayList<String>(applicable.size());
        final List<HookPoint> edited = new ArrayList<HookPoint>(applicable.size());
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new ClassVisitor(ClassShape.ASM_API, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                HookPoint p = applicable.get(name + descriptor);
                if (p == null) {
                    return mv; // the writer itself: ASM copies the method's bytes unchanged
                }
                done.add(p.className() + "." + p.method());
                edited.add(p);
                return p.edit(mv, cls);
            }
        }, 0);
        byte[] out = writer.toByteArray();
        instrumented.addAll(done);
        for (HookPoint p : edited) {
            applied.add(p);
            notApplied.remove(p);
        }
        return out;
    }

    /**
     * Loads and links the bytecode library's classes by one round trip through them: a small class file written with
     * a loop (a stack map frame), an exception handler, a class constant and line numbers, then read back and
     * rewritten as {@link #instrument} rewrites (the writer built on the reader, one method through a visitor). Called
     * by premain's thread while it would only wait for the agent's thread: the rewrite of {@code sun.nio.ch.Net},
     * which the application's first bind waits for, then finds them ready. Never throws.
     */
    public static void warmUp() {
        try {
            warmUpRoundTrip();
        } catch (Throwable ignored) {
            // only a head start
        }
    }

    /** The class file {@link #warmUp} writes, rewritten: a test checks that it is one the JVM accepts. */
    static byte[] warmUpRoundTrip() {
        ClassWriter w = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        w.visit(Opcodes.V1_8, Opcodes.ACC_FINAL,
                "io/portres/agent/hook/WarmUp", null, "java/lang/Object", null);
        MethodVisitor m = w.visitMethod(Opcodes.ACC_STATIC, "m", "(I)I", null, null);
        m.visitCode();
        Label start = new Label();
        Label end = new Label();
        Label handler = new Label();
        Label loop = new Label();
        m.visitTryCatchBlock(start, end, handler, "java/lang/RuntimeException");
        m.visitLabel(start);
        m.visitLineNumber(1, start);
        m.visitLdcInsn(Type.getType("Ljava/lang/Object;"));
        m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/Object", "hashCode", "()I", false);
        m.visitInsn(Opcodes.POP);
        m.visitLabel(loop);
        m.visitFrame(Opcodes.F_SAME, 0, null, 0, null);
        m.visitIincInsn(0, -1);
        m.visitVarInsn(Opcodes.ILOAD, 0);
        m.visitJumpInsn(Opcodes.IFGT, loop);
        m.visitLabel(end);
        m.visitVarInsn(Opcodes.ILOAD, 0);
        m.visitInsn(Opcodes.IRETURN);
        m.visitLabel(handler);
        m.visitFrame(Opcodes.F_SAME1, 0, null, 1, new Object[] {"java/lang/RuntimeException"});
        m.visitInsn(Opcodes.ATHROW);
        m.visitMaxs(0, 0);
        m.visitEnd();
        w.visitEnd();
        ClassReader reader = new ClassReader(w.toByteArray());
        ClassWriter rewritten = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new ClassVisitor(ClassShape.ASM_API, rewritten) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(ClassShape.ASM_API,
                        super.visitMethod(access, name, descriptor, signature, exceptions)) {
                };
            }
        }, 0);
        return rewritten.toByteArray();
    }

    /**
     * ASM's reader for a class file it knows (the JDK's own classes, every JDK this Byte Buddy knows); else Byte
     * Buddy's, deliberately experimental, on a copy (the experimental read lowers the version in the array while it
     * parses), with a note. {@link ClassFileVersion} is consulted only then: loading it and its version locator costs
     * start-up that the common case need not pay.
     */
    private ClassReader read(byte[] classfile, String owner) {
        try {
            return new ClassReader(classfile);
        } catch (IllegalArgumentException unsupportedVersion) {
            ClassFileVersion version = ClassFileVersion.ofClassFile(classfile);
            ClassFileVersion latest = ClassFileVersion.latest();
            if (!version.isGreaterThan(latest)) {
                throw unsupportedVersion;
            }
            notes.add(owner.replace('/', '.') + ": class file of Java " + version.getJavaVersion()
                    + ", newer than the bundled ASM knows (Java " + latest.getJavaVersion() + "); read experimentally");
            return OpenedClassReader.of(classfile.clone(), true);
        }
    }
}
