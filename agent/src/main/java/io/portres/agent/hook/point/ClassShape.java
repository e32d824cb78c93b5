package io.portres.agent.hook.point;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The members of a class file (names and descriptors, no code): what a {@link BindHook} looks at to decide whether
 * it applies. Read with ASM's {@code SKIP_CODE}, which costs a fraction of the edit.
 */
public final class ClassShape extends ClassVisitor {

    /** The ASM API level of every visitor of the hook layer: a compile-time constant (reading Byte Buddy's
     *  {@code OpenedClassReader.ASM_API} would load its reader, which the common case does not need). */
    public static final int ASM_API = Opcodes.ASM9;

    private String name;
    private int majorVersion;
    private final Set<String> methods = new HashSet<String>();
    private final Map<String, String> fields = new HashMap<String, String>();

    private ClassShape() {
        super(ASM_API);
    }

    public static ClassShape of(ClassReader reader) {
        ClassShape shape = new ClassShape();
        reader.accept(shape, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return shape;
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName,
                      String[] interfaces) {
        this.name = name;
        this.majorVersion = version & 0xFFFF;
    }

    /** The class file's major version (52 = JDK 8, 70 = JDK 26). */
    public int majorVersion() {
        return majorVersion;
    }

    /** The class's internal name. */
    public String name() {
        return name;
    }

    @Override
    public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
        fields.put(name, descriptor);
        return null;
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                     String[] exceptions) {
        methods.add(name + descriptor);
        return null;
    }

    public boolean hasMethod(String name, String descriptor) {
        return methods.contains(name + descriptor);
    }

    /** Whether some method's name and descriptor, written {@code name(args)ret}, start with this prefix. */
    public boolean hasMethodStartingWith(String prefix) {
        for (String m : methods) {
            if (m.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The descriptor of a field declared by the class, or null. */
    public String fieldDescriptor(String name) {
        return fields.get(name);
    }
}
