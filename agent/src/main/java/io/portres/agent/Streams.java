package io.portres.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reading a stream to its end, on Java 8 (no {@code InputStream.readAllBytes}). */
public final class Streams {

    private Streams() {
    }

    /**
     * Everything {@code in} has, read until it ends, then closed. Does not trust {@code available()} or a file's size:
     * /proc files report 0 (JDK 17's {@code Files.readAllBytes} then returns only their first byte).
     */
    public static byte[] readAll(InputStream in) throws IOException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            in.close();
        }
    }
}
