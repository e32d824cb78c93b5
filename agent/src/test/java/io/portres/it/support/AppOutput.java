package io.portres.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads what the test applications print. */
public final class AppOutput {
    private AppOutput() {
    }

    /** The {@code <api> <port>} lines of {@code BindEveryApi}, in order. */
    public static Map<String, Integer> ports(String stdout) {
        Map<String, Integer> m = new LinkedHashMap<String, Integer>();
        for (String line : stdout.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && f[1].matches("\\d+")) {
                m.put(f[0], Integer.valueOf(f[1]));
            }
        }
        return m;
    }

    public static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0; ) {
            b.write(buf, 0, n);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }
}
