package io.portres.it.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts the reload events of events files that keep growing, reading only what was appended since the last call
 * (a stress test's files reach millions of lines).
 */
public final class EventTail {
    private final Path[] files;
    private final long[] offsets;
    private final Map<String, Integer> counts = new HashMap<String, Integer>();

    public EventTail(Path... files) {
        this.files = files;
        this.offsets = new long[files.length];
    }

    /** How many events with this {@code outcome} the files hold so far. */
    public synchronized int count(String outcome) throws IOException {
        for (int i = 0; i < files.length; i++) {
            if (!Files.exists(files[i])) {
                continue;
            }
            try (RandomAccessFile f = new RandomAccessFile(files[i].toFile(), "r")) {
                long len = f.length();
                if (len <= offsets[i]) {
                    continue;
                }
                byte[] b = new byte[(int) (len - offsets[i])];
                f.seek(offsets[i]);
                f.readFully(b);
                int end = b.length;
                while (end > 0 && b[end - 1] != '\n') {
                    end--;
                }
                offsets[i] += end;
                for (String line : new String(b, 0, end, StandardCharsets.UTF_8).split("\n")) {
                    int at = line.indexOf("\"outcome\":\"reload");
                    if (at >= 0) {
                        String o = line.substring(at + 11, line.indexOf('"', at + 11));
                        counts.merge(o, 1, Integer::sum);
                    }
                }
            }
        }
        Integer n = counts.get(outcome);
        return n == null ? 0 : n;
    }
}
