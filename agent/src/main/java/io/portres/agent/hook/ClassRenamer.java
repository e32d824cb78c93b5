package io.portres.agent.hook;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;

/**
 * Renames a class by rewriting its constant pool, without a bytecode library: premain runs this on the
 * application's critical path, and loading ASM there costs milliseconds. Every CONSTANT_Utf8 entry equal to the
 * old internal name, or containing it as a descriptor ({@code L<name>;}), is rewritten; the rest of the class file
 * is copied byte for byte. Enough for a class without nested classes, such as {@link BindBridge}.
 */
final class ClassRenamer {

    private ClassRenamer() {
    }

    static byte[] rename(byte[] classfile, String fromInternal, String toInternal) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classfile));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(classfile.length + 64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(in.readInt()); // magic
        out.writeShort(in.readUnsignedShort()); // minor
        out.writeShort(in.readUnsignedShort()); // major
        int count = in.readUnsignedShort();
        out.writeShort(count);
        String fromDesc = "L" + fromInternal + ";";
        String toDesc = "L" + toInternal + ";";
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            out.writeByte(tag);
            switch (tag) {
                case 1: // Utf8
                    String s = in.readUTF();
                    if (s.equals(fromInternal)) {
                        s = toInternal;
                    } else if (s.contains(fromDesc)) {
                        s = s.replace(fromDesc, toDesc);
                    }
                    out.writeUTF(s);
                    break;
                case 7: case 8: case 16: case 19: case 20: // Class, String, MethodType, Module, Package
                    out.writeShort(in.readUnsignedShort());
                    break;
                case 15: // MethodHandle
                    out.writeByte(in.readUnsignedByte());
                    out.writeShort(in.readUnsignedShort());
                    break;
                case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                    out.writeInt(in.readInt());
                    break;
                case 5: case 6: // Long, Double: two slots
                    out.writeLong(in.readLong());
                    i++;
                    break;
                default:
                    throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        byte[] rest = new byte[in.available()];
        in.readFully(rest);
        out.write(rest);
        out.flush();
        return bytes.toByteArray();
    }
}
