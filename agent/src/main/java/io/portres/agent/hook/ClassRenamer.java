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
        ClassFilePatcher.Pool pool = new ClassFilePatcher.Pool(classfile);
        int copied = 0; // classfile[copied, p) is still to be copied unchanged
        for (int i = 1; i < pool.count; i++) {
            int p = pool.offset(i);
            if (p == 0 || (classfile[p] & 0xff) != 1) {
                continue; // the unused second slot of a Long or Double, or not a Utf8 entry
            }
            int length = u2(classfile, p + 1);
            int start = p + 3;
            boolean whole = length == from.length && matchAt(classfile, start, from);
            if (whole || indexOf(classfile, start, start + length, fromDesc) >= 0) {
                out.write(classfile, copied, p - copied);
                byte[] value = whole ? to : replaceAll(classfile, start, start + length, fromDesc, toDesc);
                out.write(1);
                out.write(value.length >>> 8);
                out.write(value.length);
                out.write(value, 0, value.length);
                copied = start + length;
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
