package io.portres.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a {@code log.events} file: one flat JSON object per line (strings, integers, null). */
public final class Events {

    private Events() {
    }

    public static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
        if (!Files.exists(file)) {
            return out;
        }
        // The agent may be appending while a test polls: only complete lines (ending in a newline) count.
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        text = text.substring(0, text.lastIndexOf('\n') + 1);
        for (String line : text.split("\n")) {
            if (!line.trim().isEmpty()) {
                out.add(parse(line));
            }
        }
        return out;
    }

    /** Parses one flat object; throws on anything else (the events contract allows nothing else). */
    public static Map<String, Object> parse(String json) {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        int[] pos = {0};
        skipWs(json, pos);
        expect(json, pos, '{');
        skipWs(json, pos);
        if (json.charAt(pos[0]) == '}') {
            return m;
        }
        while (true) {
            skipWs(json, pos);
            String key = string(json, pos);
            skipWs(json, pos);
            expect(json, pos, ':');
            skipWs(json, pos);
            char c = json.charAt(pos[0]);
            Object value;
            if (c == '"') {
                value = string(json, pos);
            } else if (json.startsWith("null", pos[0])) {
                pos[0] += 4;
                value = null;
            } else {
                int start = pos[0];
                while (pos[0] < json.length() && (Character.isDigit(json.charAt(pos[0])) || json.charAt(pos[0]) == '-')) {
                    pos[0]++;
                }
                value = Long.parseLong(json.substring(start, pos[0]));
            }
            if (m.put(key, value) != null || m.size() > 100) {
                throw new IllegalArgumentException("duplicate key " + key + " in " + json);
            }
            skipWs(json, pos);
            char next = json.charAt(pos[0]++);
            if (next == '}') {
                break;
            }
            if (next != ',') {
                throw new IllegalArgumentException("bad JSON at " + pos[0] + ": " + json);
            }
        }
        skipWs(json, pos);
        if (pos[0] != json.length()) {
            throw new IllegalArgumentException("trailing text: " + json);
        }
        return m;
    }

    private static void skipWs(String s, int[] pos) {
        while (pos[0] < s.length() && Character.isWhitespace(s.charAt(pos[0]))) {
            pos[0]++;
        }
    }

    private static void expect(String s, int[] pos, char c) {
        if (s.charAt(pos[0]) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + pos[0] + ": " + s);
        }
        pos[0]++;
    }

    private static String string(String s, int[] pos) {
        expect(s, pos, '"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = s.charAt(pos[0]++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                char e = s.charAt(pos[0]++);
                switch (e) {
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        sb.append((char) Integer.parseInt(s.substring(pos[0], pos[0] + 4), 16));
                        pos[0] += 4;
                        break;
                    default: sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
    }

    /**
     * Checks every event of rule {@code rule} in {@code files}: outcome {@code associated} and a bound port inside its
     * reservation's block ({@code count} ports from {@code startByReservation}). Returns how many there were.
     */
    public static long assertAssociatedInBlocks(String rule, Map<String, Integer> startByReservation, int count,
                                                Path... files) throws IOException {
        long n = 0;
        for (Path file : files) {
            for (Map<String, Object> e : read(file)) {
                if (rule.equals(e.get("rule"))) {
                    long start = startByReservation.get((String) e.get("reservation"));
                    org.assertj.core.api.Assertions.assertThat(e.get("outcome")).as(e.toString())
                            .isEqualTo("associated");
                    org.assertj.core.api.Assertions.assertThat((Long) e.get("boundPort")).as(e.toString())
                            .isBetween(start, start + count - 1);
                    n++;
                }
            }
        }
        return n;
    }
}
