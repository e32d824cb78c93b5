package io.portres.agent.hook;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

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
 * A raw {@link ClassFileTransformer} with the ASM that Byte Buddy bundles: it rewrites only the few JDK classes of
 * {@link HookPoint} and returns {@code null} (no change) for everything else after one map look-up. Byte Buddy's
 * {@code AgentBuilder} would cost 400-800 ms of start-up; this costs a few milliseconds.
 *
 * <p>A transformer must never throw (the JVM would silently load the class unchanged anyway) and must not log
 * while a class is being defined: failures are collected and reported later by the installer.
 */
public final class BindTransformer implements ClassFileTransformer {

    private final Map<String, List<HookPoint>> pointsByOwner = new HashMap<String, List<HookPoint>>();
    private final List<String> instrumented = Collections.synchronizedList(new ArrayList<String>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<String>());

    public BindTransformer(Set<HookPoint> points) {
        for (HookPoint p : points) {
            List<HookPoint> list = pointsByOwner.get(p.owner);
            if (list == null) {
                list = new ArrayList<HookPoint>(2);
                pointsByOwner.put(p.owner, list);
            }
            list.add(p);
        }
    }

    public static BindTransformer forAllHookPoints() {
        return new BindTransformer(EnumSet.allOf(HookPoint.class));
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
        synchronized (instrumented) {
            return new ArrayList<String>(instrumented);
        }
    }

    public List<String> failures() {
        synchronized (failures) {
            return new ArrayList<String>(failures);
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
            return null;
        }
    }

    byte[] instrument(byte[] classfile, List<HookPoint> points) {
        ClassReader reader = new ClassReader(classfile);
        final ClassShape shape = ClassShape.of(reader);
        final List<HookPoint> applicable = new ArrayList<HookPoint>(points.size());
        for (HookPoint p : points) {
            if (shape.appliesTo(p)) {
                applicable.add(p);
            }
        }
        if (applicable.isEmpty()) {
            return null;
        }
        // COMPUTE_MAXS only: computing frames would load classes from inside a transformer. The inserted code
        // carries its own frames (see HookMethodVisitor).
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        final String owner = reader.getClassName();
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                for (HookPoint p : applicable) {
                    if (p.method.equals(name) && p.descriptor.equals(descriptor)) {
                        instrumented.add(owner.replace('/', '.') + "." + name);
                        return new HookMethodVisitor(mv, p, owner, access, descriptor, shape);
                    }
                }
                return mv;
            }
        }, 0);
        return writer.toByteArray();
    }

    /** What a first, code-skipping pass learns about a class: its methods and the types of its fields. */
    static final class ClassShape {
        final Set<String> methods = new HashSet<String>();
        final Map<String, String> fieldDescriptors = new HashMap<String, String>();

        static ClassShape of(ClassReader reader) {
            final ClassShape shape = new ClassShape();
            reader.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public FieldVisitor visitField(int access, String name, String descriptor, String signature,
                                               Object value) {
                    shape.fieldDescriptors.put(name, descriptor);
                    return null;
                }

                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    shape.methods.add(name + descriptor);
                    return null;
                }
            }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            return shape;
        }

        boolean hasMethodStartingWith(String prefix) {
            for (String m : methods) {
                if (m.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }

        boolean appliesTo(HookPoint p) {
            if (!methods.contains(p.method + p.descriptor)) {
                return false;
            }
            switch (p) {
                case UDP_SEND:
                    // JDK 11+ send() binds explicitly through beginWrite -> bindInternal -> Net.bind.
                    return !hasMethodStartingWith("beginWrite(") && fieldDescriptors.containsKey("localAddress");
                case UDP_CONNECT:
                    // JDK 17+ connect(SocketAddress) delegates to connect(SocketAddress, boolean), which binds.
                    return !hasMethodStartingWith("connect(Ljava/net/SocketAddress;Z)")
                            && fieldDescriptors.containsKey("localAddress");
                default:
                    return true;
            }
        }
    }
}
