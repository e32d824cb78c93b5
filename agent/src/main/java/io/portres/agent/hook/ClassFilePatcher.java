package io.portres.agent.hook;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites the few JDK bind methods of {@link HookPoint} directly in the class file, without a bytecode library.
 *
 * <p>Why not ASM: the first bind of every application runs this (the JDK loads {@code sun.nio.ch.Net} then), and
 * loading and interpreting ASM's ~30 classes there cost about 14 ms of start-up on JDK 17. This class does only
 * the three edits the hook needs, each chosen so that no other byte offset of the method moves except by one
 * constant:
 * <ol>
 *   <li><b>A prefix</b> at the method's entry: the call to the bridge ({@link HookMethods#prefix}). It is
 *       straight-line code padded with {@code nop} to a multiple of 4 bytes, so {@code tableswitch} and
 *       {@code lookupswitch} padding stays valid, and every offset after it moves by the same amount: exception
 *       table, {@code StackMapTable} (its first frame's delta and any {@code Uninitialized(offset)}),
 *       {@code LineNumberTable}, {@code LocalVariable(Type)Table}. Branches are relative and need nothing.</li>
 *   <li><b>Same-size call replacement</b>: the native bind call inside the method ({@code invokestatic} or
 *       {@code invokevirtual}, 3 bytes) becomes an {@code invokestatic} of the bridge (3 bytes) with the same
 *       stack effect.</li>
 *   <li><b>A catch-all handler appended</b> after the last instruction, registered last in the exception table
 *       (the method's own handlers keep priority), with one full frame appended to the {@code StackMapTable}: the
 *       method's initial locals and a Throwable on the stack, which every point of the body satisfies because
 *       javac never stores another type in a parameter slot.</li>
 * </ol>
 * New constants are appended to the constant pool (duplicates are legal), which retransformation also allows.
 * Anything unexpected (a Code attribute it does not know, a class file it cannot parse) throws, and the caller
 * leaves the class unchanged and reports it. {@code PatchedClassesTest} checks the output of every hook point on
 * every JDK with ASM's verifier; the forked-JVM tests run it under {@code -Xverify:all}.
 */
final class ClassFilePatcher {

    private static final int ACC_STATIC = 0x0008;

    private final byte[] in;
    private final Pool pool;

    final String className;
    private final int[] fieldOffsets;
    private final int[] methodOffsets;
    private final int methodsStart;

    // Nothing here decodes the names of every member: the first bind of an application waits for this parse of
    // sun.nio.ch.Net (about a hundred methods), interpreted. Names are compared in place instead.
    private ClassFilePatcher(byte[] classfile) throws IOException {
        this.in = classfile;
        if (classfile.length < 10 || u4(0) != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        pool = new Pool(classfile);
        int pos = pool.end;
        className = pool.className(u2(pos + 2));
        int interfaces = u2(pos + 6);
        pos += 8 + 2 * interfaces;
        fieldOffsets = new int[u2(pos)];
        pos += 2;
        for (int i = 0; i < fieldOffsets.length; i++) {
            fieldOffsets[i] = pos;
            pos = skipAttributes(pos + 6);
        }
        methodsStart = pos;
        methodOffsets = new int[u2(pos)];
        pos += 2;
        for (int i = 0; i < methodOffsets.length; i++) {
            methodOffsets[i] = pos;
            pos = skipAttributes(pos + 6);
        }
    }

    /** Reads the class's outline (name, where its members are) without changing anything. */
    static ClassFilePatcher read(byte[] classfile) throws IOException {
        return new ClassFilePatcher(classfile);
    }

    /** The class file's major version (52 = JDK 8, 70 = JDK 26). */
    int majorVersion() {
        return u2(6);
    }

    int methodCount() {
        return methodOffsets.length;
    }

    boolean hasMethod(String name, String descriptor) {
        for (int m : methodOffsets) {
            if (pool.utf8Is(u2(m + 2), name) && pool.utf8Is(u2(m + 4), descriptor)) {
                return true;
            }
        }
        return false;
    }

    /** A method named {@code name} whose descriptor starts with {@code descriptorPrefix}. */
    boolean hasMethodStartingWith(String name, String descriptorPrefix) {
        for (int m : methodOffsets) {
            if (pool.utf8Is(u2(m + 2), name) && pool.utf8StartsWith(u2(m + 4), descriptorPrefix)) {
                return true;
            }
        }
        return false;
    }

    /** The descriptor of the field {@code name}, or null if the class declares none. */
    String fieldDescriptor(String name) throws IOException {
        for (int f : fieldOffsets) {
            if (pool.utf8Is(u2(f + 2), name)) {
                return pool.utf8(u2(f + 4));
            }
        }
        return null;
    }

    /**
     * Returns the class with each of {@code points} applied to its method, or null if none of them is in this
     * class. {@code instrumented} receives "owner.method" for each method changed.
     */
    byte[] patch(List<HookPoint> points, List<String> instrumented) throws IOException {
        ByteArrayOutputStream methodsOut = new ByteArrayOutputStream(in.length - methodsStart + 256);
        int p = methodsStart;
        int count = u2(p);
        p += 2;
        boolean changed = false;
        for (int i = 0; i < count; i++) {
            int start = p;
            int access = u2(p);
            int end = skipAttributes(p + 6);
            HookPoint point = null;
            for (HookPoint candidate : points) {
                if (pool.utf8Is(u2(p + 2), candidate.method) && pool.utf8Is(u2(p + 4), candidate.descriptor)) {
                    point = candidate;
                }
            }
            if (point == null) {
                methodsOut.write(in, start, end - start);
            } else {
                writeMethod(methodsOut, start, end, point, (access & ACC_STATIC) != 0, point.descriptor);
                instrumented.add(className.replace('/', '.') + "." + point.method);
                changed = true;
            }
            p = end;
        }
        if (!changed) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 512);
        out.write(in, 0, 8); // magic, minor, major
        byte[] extra = pool.appended.toByteArray();
        writeU2(out, pool.count);
        out.write(in, 10, pool.end - 10);
        out.write(extra, 0, extra.length);
        out.write(in, pool.end, methodsStart - pool.end); // access .. fields
        writeU2(out, count);
        byte[] m = methodsOut.toByteArray();
        out.write(m, 0, m.length);
        out.write(in, p, in.length - p); // class attributes
        return out.toByteArray();
    }

    private void writeMethod(ByteArrayOutputStream out, int start, int end, HookPoint point, boolean isStatic,
                             String descriptor) throws IOException {
        out.write(in, start, 6);
        int attributes = u2(start + 6);
        writeU2(out, attributes);
        int p = start + 8;
        boolean sawCode = false;
        for (int i = 0; i < attributes; i++) {
            int length = u4(p + 2);
            if (pool.utf8Is(u2(p), "Code")) {
                writeCode(out, u2(p), p + 6, length, point, isStatic, descriptor);
                sawCode = true;
            } else {
                out.write(in, p, 6 + length);
            }
            p += 6 + length;
        }
        if (!sawCode) {
            throw new IOException(point.method + " has no code");
        }
    }

    private void writeCode(ByteArrayOutputStream out, int nameIndex, int p, int length, HookPoint point,
                           boolean isStatic, String descriptor) throws IOException {
        int maxStack = u2(p);
        int maxLocals = u2(p + 2);
        int codeLength = u4(p + 4);
        int codeStart = p + 8;
        int codeEnd = codeStart + codeLength;

        byte[] prefix = HookMethods.prefix(point, this, pool);
        int shift = prefix.length;
        byte[] code = new byte[codeLength];
        System.arraycopy(in, codeStart, code, 0, codeLength);
        replaceCalls(code, point);
        boolean wrap = HookMethods.wrapsBody(point);
        byte[] handler = wrap ? HookMethods.handler(point, pool) : new byte[0];
        int handlerOffset = shift + codeLength;

        ByteArrayOutputStream body = new ByteArrayOutputStream(length + 128);
        writeU2(body, Math.max(maxStack, HookMethods.MAX_STACK));
        writeU2(body, maxLocals);
        writeU4(body, shift + codeLength + handler.length);
        body.write(prefix, 0, prefix.length);
        body.write(code, 0, code.length);
        body.write(handler, 0, handler.length);

        int q = codeEnd;
        int handlers = u2(q);
        writeU2(body, handlers + (wrap ? 1 : 0));
        q += 2;
        for (int i = 0; i < handlers; i++, q += 8) {
            writeU2(body, u2(q) + shift);
            writeU2(body, u2(q + 2) + shift);
            writeU2(body, u2(q + 4) + shift);
            writeU2(body, u2(q + 6));
        }
        if (wrap) {
            writeU2(body, shift);
            writeU2(body, shift + codeLength);
            writeU2(body, handlerOffset);
            writeU2(body, pool.classRef("java/lang/Throwable"));
        }

        int attributes = u2(q);
        q += 2;
        List<byte[]> kept = new ArrayList<byte[]>();
        boolean sawFrames = false;
        for (int i = 0; i < attributes; i++) {
            int aName = u2(q);
            int aLength = u4(q + 2);
            int a = q + 6;
            q = a + aLength;
            ByteArrayOutputStream attr = new ByteArrayOutputStream(aLength + 64);
            if (pool.utf8Is(aName, "StackMapTable")) {
                sawFrames = true;
                byte[] frames = stackMapTable(a, shift, wrap ? handlerFrame(isStatic, descriptor) : null,
                        handlerOffset);
                writeAttribute(attr, aName, frames);
            } else if (pool.utf8Is(aName, "LineNumberTable")) {
                byte[] lines = copy(a, aLength);
                for (int k = 0, n = u2(a); k < n; k++) {
                    addU2(lines, 2 + 4 * k, shift);
                }
                writeAttribute(attr, aName, lines);
            } else if (pool.utf8Is(aName, "LocalVariableTable") || pool.utf8Is(aName, "LocalVariableTypeTable")) {
                byte[] vars = copy(a, aLength);
                for (int k = 0, n = u2(a); k < n; k++) {
                    addU2(vars, 2 + 10 * k, shift);
                }
                writeAttribute(attr, aName, vars);
            } else if (pool.utf8Is(aName, "RuntimeVisibleTypeAnnotations")
                    || pool.utf8Is(aName, "RuntimeInvisibleTypeAnnotations")) {
                continue; // they hold code offsets; only tools read them, so they are dropped rather than shifted
            } else {
                throw new IOException("unknown Code attribute " + pool.utf8(aName) + " in " + point.method);
            }
            kept.add(attr.toByteArray());
        }
        if (wrap && !sawFrames) {
            ByteArrayOutputStream attr = new ByteArrayOutputStream();
            writeAttribute(attr, pool.utf8Ref("StackMapTable"),
                    stackMapTableOfOne(handlerFrame(isStatic, descriptor), handlerOffset));
            kept.add(attr.toByteArray());
        }
        writeU2(body, kept.size());
        for (byte[] k : kept) {
            body.write(k, 0, k.length);
        }
        byte[] b = body.toByteArray();
        writeU2(out, nameIndex);
        writeU4(out, b.length);
        out.write(b, 0, b.length);
    }

    /** Turns the native bind call(s) of the hook point into same-size {@code invokestatic}s of the bridge. */
    private void replaceCalls(byte[] code, HookPoint point) throws IOException {
        HookMethods.CallReplacement replacement = HookMethods.callReplacement(point);
        if (replacement == null) {
            return;
        }
        int target = -1;
        int found = 0;
        for (int pc = 0; pc < code.length; pc += instructionLength(code, pc)) {
            int op = code[pc] & 0xff;
            if (op != Opcodes.INVOKESTATIC && op != Opcodes.INVOKEVIRTUAL && op != Opcodes.INVOKESPECIAL) {
                continue;
            }
            int ref = ((code[pc + 1] & 0xff) << 8) | (code[pc + 2] & 0xff);
            if (op == replacement.opcode && pool.memberIs(ref, replacement.name, replacement.descriptor)) {
                if (target < 0) {
                    target = pool.methodRef(HookMethods.BRIDGE, replacement.bridgeMethod,
                            replacement.bridgeDescriptor);
                }
                code[pc] = (byte) Opcodes.INVOKESTATIC;
                code[pc + 1] = (byte) (target >> 8);
                code[pc + 2] = (byte) target;
                found++;
            }
        }
        if (found == 0) {
            throw new IOException("no call to " + replacement.name + replacement.descriptor + " in " + point.method);
        }
    }

    /** The handler's frame: the method's initial locals, a Throwable on the stack. */
    private byte[] handlerFrame(boolean isStatic, String descriptor) throws IOException {
        ByteArrayOutputStream locals = new ByteArrayOutputStream();
        int n = 0;
        if (!isStatic) {
            locals.write(7);
            writeU2(locals, pool.classRef(className));
            n++;
        }
        int i = 1;
        while (descriptor.charAt(i) != ')') {
            char c = descriptor.charAt(i);
            int next = i + 1;
            switch (c) {
                case 'Z': case 'B': case 'C': case 'S': case 'I':
                    locals.write(1);
                    break;
                case 'F':
                    locals.write(2);
                    break;
                case 'D':
                    locals.write(3);
                    break;
                case 'J':
                    locals.write(4);
                    break;
                case 'L':
                    next = descriptor.indexOf(';', i) + 1;
                    locals.write(7);
                    writeU2(locals, pool.classRef(descriptor.substring(i + 1, next - 1)));
                    break;
                case '[':
                    int j = i;
                    while (descriptor.charAt(j) == '[') {
                        j++;
                    }
                    next = descriptor.charAt(j) == 'L' ? descriptor.indexOf(';', j) + 1 : j + 1;
                    locals.write(7);
                    writeU2(locals, pool.classRef(descriptor.substring(i, next)));
                    break;
                default:
                    throw new IOException("bad descriptor " + descriptor);
            }
            n++;
            i = next;
        }
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(255); // full_frame; offset_delta is written by the caller
        writeU2(frame, 0);
        writeU2(frame, n);
        byte[] l = locals.toByteArray();
        frame.write(l, 0, l.length);
        writeU2(frame, 1);
        frame.write(7);
        writeU2(frame, pool.classRef("java/lang/Throwable"));
        return frame.toByteArray();
    }

    private static byte[] stackMapTableOfOne(byte[] frame, int offset) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeU2(out, 1);
        frame[1] = (byte) (offset >> 8);
        frame[2] = (byte) offset;
        out.write(frame, 0, frame.length);
        return out.toByteArray();
    }

    /**
     * Copies a StackMapTable with every code offset moved by {@code shift} (the first frame's delta, and
     * {@code Uninitialized} types), then appends {@code extraFrame} at {@code extraOffset} if given.
     */
    private byte[] stackMapTable(int a, int shift, byte[] extraFrame, int extraOffset) throws IOException {
        int n = u2(a);
        int p = a + 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeU2(out, n + (extraFrame != null ? 1 : 0));
        int offset = -1;
        for (int i = 0; i < n; i++) {
            int type = in[p++] & 0xff;
            int delta;
            if (type < 64) {
                delta = type;
            } else if (type < 128) {
                delta = type - 64;
            } else if (type >= 247) {
                delta = u2(p);
                p += 2;
            } else {
                throw new IOException("reserved stack map frame type " + type);
            }
            int newDelta = i == 0 ? delta + shift : delta;
            offset = i == 0 ? delta : offset + delta + 1;
            // compact forms hold deltas up to 63 only; the first frame may need its extended form now
            if (type < 64) {
                if (newDelta < 64) {
                    out.write(newDelta);
                } else {
                    out.write(251);
                    writeU2(out, newDelta);
                }
            } else if (type < 128) {
                if (newDelta < 64) {
                    out.write(64 + newDelta);
                } else {
                    out.write(247);
                    writeU2(out, newDelta);
                }
                p = copyVerificationTypes(out, p, 1, shift);
            } else {
                out.write(type);
                writeU2(out, newDelta);
                if (type == 247) {
                    p = copyVerificationTypes(out, p, 1, shift);
                } else if (type >= 252 && type <= 254) {
                    p = copyVerificationTypes(out, p, type - 251, shift);
                } else if (type == 255) {
                    int locals = u2(p);
                    writeU2(out, locals);
                    p = copyVerificationTypes(out, p + 2, locals, shift);
                    int stack = u2(p);
                    writeU2(out, stack);
                    p = copyVerificationTypes(out, p + 2, stack, shift);
                }
            }
        }
        if (extraFrame != null) {
            int last = offset < 0 ? -1 : offset + shift;
            int delta = extraOffset - last - 1;
            extraFrame[1] = (byte) (delta >> 8);
            extraFrame[2] = (byte) delta;
            out.write(extraFrame, 0, extraFrame.length);
        }
        return out.toByteArray();
    }

    private int copyVerificationTypes(ByteArrayOutputStream out, int p, int count, int shift) {
        for (int i = 0; i < count; i++) {
            int tag = in[p++] & 0xff;
            out.write(tag);
            if (tag == 7) { // Object(cpool index)
                writeU2(out, u2(p));
                p += 2;
            } else if (tag == 8) { // Uninitialized(offset of the new instruction)
                writeU2(out, u2(p) + shift);
                p += 2;
            }
        }
        return p;
    }

    /** Length of the instruction at {@code pc}, for walking a method's code. */
    static int instructionLength(byte[] code, int pc) throws IOException {
        int op = code[pc] & 0xff;
        switch (op) {
            case 0xaa: { // tableswitch
                int p = pc + 1 + ((4 - ((pc + 1) & 3)) & 3);
                int low = s4(code, p + 4);
                int high = s4(code, p + 8);
                return p + 12 + 4 * (high - low + 1) - pc;
            }
            case 0xab: { // lookupswitch
                int p = pc + 1 + ((4 - ((pc + 1) & 3)) & 3);
                return p + 8 + 8 * s4(code, p + 4) - pc;
            }
            case 0xc4: // wide
                return (code[pc + 1] & 0xff) == 0x84 ? 6 : 4;
            default:
                int length = LENGTHS.charAt(op) - '0';
                if (length <= 0) {
                    throw new IOException("unknown opcode " + op + " at " + pc);
                }
                return length;
        }
    }

    /**
     * Instruction lengths by opcode, 0x00-0xc9 (0: variable or invalid). From the JVM specification, chapter 6:
     * 0x10 bipush 2, 0x11 sipush 3, 0x12 ldc 2, 0x13-0x14 ldc_w/ldc2_w 3, 0x15-0x19 loads 2, 0x36-0x3a stores 2,
     * 0x84 iinc 3, 0x99-0xa8 branches and jsr 3, 0xa9 ret 2, 0xb2-0xb8 field and invoke 3, 0xb9-0xba
     * invokeinterface/invokedynamic 5, 0xbb new 3, 0xbc newarray 2, 0xbd anewarray 3, 0xc0-0xc1 checkcast and
     * instanceof 3, 0xc5 multianewarray 4, 0xc6-0xc7 ifnull/ifnonnull 3, 0xc8-0xc9 goto_w/jsr_w 5; the rest 1.
     */
    private static final String LENGTHS;

    static {
        char[] l = new char[256];
        java.util.Arrays.fill(l, '0');
        java.util.Arrays.fill(l, 0x00, 0xca, '1');
        l[0x10] = '2';
        l[0x11] = '3';
        l[0x12] = '2';
        java.util.Arrays.fill(l, 0x13, 0x15, '3');
        java.util.Arrays.fill(l, 0x15, 0x1a, '2');
        java.util.Arrays.fill(l, 0x36, 0x3b, '2');
        l[0x84] = '3';
        java.util.Arrays.fill(l, 0x99, 0xa9, '3');
        l[0xa9] = '2';
        l[0xaa] = '0';
        l[0xab] = '0';
        java.util.Arrays.fill(l, 0xb2, 0xb9, '3');
        java.util.Arrays.fill(l, 0xb9, 0xbb, '5');
        l[0xbb] = '3';
        l[0xbc] = '2';
        l[0xbd] = '3';
        java.util.Arrays.fill(l, 0xc0, 0xc2, '3');
        l[0xc4] = '0';
        l[0xc5] = '4';
        java.util.Arrays.fill(l, 0xc6, 0xc8, '3');
        java.util.Arrays.fill(l, 0xc8, 0xca, '5');
        LENGTHS = new String(l);
    }

    // ------------------------------------------------------------------ bytes

    private int skipAttributes(int p) {
        int n = u2(p);
        p += 2;
        for (int i = 0; i < n; i++) {
            p += 6 + u4(p + 2);
        }
        return p;
    }

    private byte[] copy(int from, int length) {
        byte[] b = new byte[length];
        System.arraycopy(in, from, b, 0, length);
        return b;
    }

    private int u2(int p) {
        return ((in[p] & 0xff) << 8) | (in[p + 1] & 0xff);
    }

    private int u4(int p) {
        return s4(in, p);
    }

    private static int s4(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    private static void addU2(byte[] b, int p, int delta) {
        int v = (((b[p] & 0xff) << 8) | (b[p + 1] & 0xff)) + delta;
        b[p] = (byte) (v >> 8);
        b[p + 1] = (byte) v;
    }

    static void writeU2(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    private static void writeU4(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void writeAttribute(ByteArrayOutputStream out, int name, byte[] body) {
        writeU2(out, name);
        writeU4(out, body.length);
        out.write(body, 0, body.length);
    }

    /** The opcodes this class and {@link HookMethods} emit or look for. */
    static final class Opcodes {
        static final int NOP = 0x00;
        static final int ACONST_NULL = 0x01;
        static final int ICONST_0 = 0x03;
        static final int BIPUSH = 0x10;
        static final int ILOAD = 0x15;
        static final int ALOAD = 0x19;
        static final int ISTORE = 0x36;
        static final int POP = 0x57;
        static final int DUP = 0x59;
        static final int ATHROW = 0xbf;
        static final int GETFIELD = 0xb4;
        static final int INVOKEVIRTUAL = 0xb6;
        static final int INVOKESPECIAL = 0xb7;
        static final int INVOKESTATIC = 0xb8;

        private Opcodes() {
        }
    }

    /**
     * The constant pool: read in place, with new entries appended. Entries are never looked up for reuse; a
     * patched class gains a few dozen bytes of duplicates, which the format allows.
     */
    static final class Pool {
        private final byte[] b;
        private final int[] offsets;
        final int end;
        int count;
        final ByteArrayOutputStream appended = new ByteArrayOutputStream(256);
        private final Map<String, Integer> added = new HashMap<String, Integer>();

        Pool(byte[] b) throws IOException {
            this.b = b;
            count = ((b[8] & 0xff) << 8) | (b[9] & 0xff);
            offsets = new int[count];
            int p = 10;
            for (int i = 1; i < count; i++) {
                offsets[i] = p;
                int tag = b[p] & 0xff;
                switch (tag) {
                    case 1: // Utf8
                        p += 3 + (((b[p + 1] & 0xff) << 8) | (b[p + 2] & 0xff));
                        break;
                    case 7: case 8: case 16: case 19: case 20: // Class, String, MethodType, Module, Package
                        p += 3;
                        break;
                    case 15: // MethodHandle
                        p += 4;
                        break;
                    case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                        p += 5;
                        break;
                    case 5: case 6: // Long, Double take two entries
                        p += 9;
                        i++;
                        break;
                    default:
                        throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
                }
            }
            end = p;
        }

        private int u2(int p) {
            return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
        }

        /** Where entry {@code index} of the original pool starts; 0 for the unused second slot of a Long or Double. */
        int offset(int index) {
            return offsets[index];
        }

        String utf8(int index) throws IOException {
            int p = offsets[index];
            int length = u2(p + 1);
            return new DataInputStream(new ByteArrayInputStream(b, p + 1, length + 2)).readUTF();
        }

        /** Compares a Utf8 entry with an ASCII string without decoding it. */
        boolean utf8Is(int index, String s) {
            int p = offsets[index];
            if ((b[p] & 0xff) != 1 || u2(p + 1) != s.length()) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                if (b[p + 3 + i] != (byte) s.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        String className(int classIndex) throws IOException {
            return utf8(u2(offsets[classIndex] + 1));
        }

        boolean utf8StartsWith(int index, String s) {
            int p = offsets[index];
            if ((b[p] & 0xff) != 1 || u2(p + 1) < s.length()) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                if (b[p + 3 + i] != (byte) s.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        /** True if the Methodref at {@code index} has this name and descriptor (any owner). */
        boolean memberIs(int index, String name, String descriptor) {
            int p = offsets[index];
            int tag = b[p] & 0xff;
            if (tag != 10 && tag != 11) {
                return false;
            }
            int nat = offsets[u2(p + 3)];
            return utf8Is(u2(nat + 1), name) && utf8Is(u2(nat + 3), descriptor);
        }

        int utf8Ref(String s) {
            Integer known = added.get("U" + s);
            if (known != null) {
                return known;
            }
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            e.write(1);
            writeU2(e, s.length()); // ASCII only: class, member and attribute names of the JDK and the bridge
            for (int i = 0; i < s.length(); i++) {
                e.write(s.charAt(i));
            }
            return add("U" + s, e);
        }

        int classRef(String internalName) {
            Integer known = added.get("C" + internalName);
            if (known != null) {
                return known;
            }
            int name = utf8Ref(internalName);
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            e.write(7);
            writeU2(e, name);
            return add("C" + internalName, e);
        }

        int methodRef(String owner, String name, String descriptor) {
            return memberRef(10, owner, name, descriptor);
        }

        int fieldRef(String owner, String name, String descriptor) {
            return memberRef(9, owner, name, descriptor);
        }

        private int memberRef(int tag, String owner, String name, String descriptor) {
            String key = tag + owner + "." + name + descriptor;
            Integer known = added.get(key);
            if (known != null) {
                return known;
            }
            int cls = classRef(owner);
            int n = utf8Ref(name);
            int d = utf8Ref(descriptor);
            ByteArrayOutputStream nat = new ByteArrayOutputStream();
            nat.write(12);
            writeU2(nat, n);
            writeU2(nat, d);
            int natIndex = add("N" + name + descriptor + "#" + count, nat);
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            e.write(tag);
            writeU2(e, cls);
            writeU2(e, natIndex);
            return add(key, e);
        }

        private int add(String key, ByteArrayOutputStream entry) {
            if (count >= 0xffff) {
                throw new IllegalStateException("constant pool full");
            }
            byte[] bytes = entry.toByteArray();
            appended.write(bytes, 0, bytes.length);
            int index = count++;
            added.put(key, index);
            return index;
        }
    }
}
