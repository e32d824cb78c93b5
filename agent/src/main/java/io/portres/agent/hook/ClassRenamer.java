package io.portres.agent.hook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Renames a class by rewriting its constant pool, without a bytecode library: premain runs this on the
 * application's critical path. Every CONSTANT_Utf8 entry equal to the old internal name, or containing it as a
 * descriptor ({@code L<name>;}), is rewritten; the rest of the class file is copied byte for byte. Enough for a class
 * without nested classes, such as {@link BindBridge}.
 *
 * <p>It works on the bytes without decoding the entries into strings (interpreted, decoding each of a few hundred
 * entries cost about 2 ms). This is exact because both names are ASCII: in modified UTF-8 an ASCII character is
 * one byte, and the bytes of a longer sequence are all 0x80 or above, so they never match an ASCII pattern.
 */
final class ClassRenamer {

    private ClassRenamer() {
    }

    static byte[] rename(byte[] classfile, String fromInternal, String toInternal) throws IOException {
        byte[] from = ascii(fromInternal);
        byte[] to = ascii(toInternal);
        byte[] fromDesc = ascii("L" + fromInternal + ";");
        byte[] toDesc = ascii("L" + toInternal + ";");
        ByteArrayOutputStream out = new ByteArrayOutputStream(classfile.length + 64);
        int count = u2(classfile, 8);
        int p = 10;
        int copied = 0; // classfile[copied, p) is still to be copied unchanged
        for (int i = 1; i < count; i++) {
            int tag = classfile[p] & 0xff;
            switch (tag) {
                case 1: { // Utf8
                    int length = u2(classfile, p + 1);
                    int start = p + 3;
                    boolean whole = length == from.length && matchAt(classfile, start, from);
                    int firstDesc = whole ? -1 : indexOf(classfile, start, start + length, fromDesc);
                    if (whole || firstDesc >= 0) {
                        out.write(classfile, copied, p - copied);
                        byte[] value = whole ? to : replaceAll(classfile, start, start + length, fromDesc, toDesc);
                        out.write(1);
                        out.write(value.length >>> 8);
                        out.write(value.length);
                        out.write(value, 0, value.length);
                        copied = start + length;
                    }
                    p = start + length;
                    break;
                }
                case 7: case 8: case 16: case 19: case 20: // Class, String, MethodType, Module, Package
                    p += 3;
                    break;
                case 15: // MethodHandle
                    p += 4;
                    break;
                case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                    p += 5;
                    break;
                case 5: case 6: // Long, Double: two slots
                    p += 9;
                    i++;
                    break;
                default:
                    throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        out.write(classfile, copied, classfile.length - copied);
        return out.toByteArray();
    }

    private static byte[] replaceAll(byte[] b, int start, int end, byte[] pattern, byte[] replacement) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(end - start + 16);
        int p = start;
        for (int hit; (hit = indexOf(b, p, end, pattern)) >= 0; p = hit + pattern.length) {
            out.write(b, p, hit - p);
            out.write(replacement, 0, replacement.length);
        }
        out.write(b, p, end - p);
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, int from, int end, byte[] pattern) {
        for (int i = from; i + pattern.length <= end; i++) {
            if (b[i] == pattern[0] && matchAt(b, i, pattern)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean matchAt(byte[] b, int at, byte[] pattern) {
        for (int k = 0; k < pattern.length; k++) {
            if (b[at + k] != pattern[k]) {
                return false;
            }
        }
        return true;
    }

    private static int u2(byte[] b, int p) {
        return ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
    }

    private static byte[] ascii(String s) throws IOException {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7f) {
                throw new IOException("not an ASCII class name: " + s);
            }
            out[i] = (byte) c;
        }
        return out;
    }
}
