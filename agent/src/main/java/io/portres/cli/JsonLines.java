package io.portres.cli;

import io.portres.policy.yaml.YamlException;
import io.portres.policy.yaml.YamlNode;
import io.portres.policy.yaml.YamlReader;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the agent's JSON-lines files (the events file, the discovery file): one object per line, into maps of
 * strings, longs, booleans, lists and nulls. A JSON object is a YAML flow mapping, so the policy's own reader
 * ({@link YamlReader}: no object construction, bounded depth) parses each line; no JSON library in the jar.
 */
public final class JsonLines {

    private JsonLines() {
    }

    /** Every object of {@code file}, in order; blank lines are skipped. */
    public static List<Map<String, Object>> read(Path file) throws CliException {
        List<Map<String, Object>> out = new ArrayList<Map<String, Object>>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.trim().isEmpty()) {
                    continue;
                }
                try {
                    out.add(parse(line));
                } catch (YamlException | IllegalArgumentException e) {
                    throw new CliException(Main.USAGE_OR_IO, file + ":" + n + ": not a JSON object: "
                            + e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            throw new CliException(file + ": no such file");
        } catch (IOException e) {
            throw new CliException(file + ": cannot read: " + e);
        }
        return out;
    }

    /** One line: a JSON object. */
    public static Map<String, Object> parse(String line) throws YamlException {
        if (!line.trim().startsWith("{")) {
            throw new IllegalArgumentException("it does not start with '{'");
        }
        Object v = value(YamlReader.read(line));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return m;
    }

    private static Object value(YamlNode n) {
        if (n instanceof YamlNode.Mapping) {
            Map<String, Object> m = new LinkedHashMap<String, Object>();
            for (YamlNode.Entry e : ((YamlNode.Mapping) n).entries()) {
                m.put(e.key().text(), value(e.value()));
            }
            return m;
        }
        if (n instanceof YamlNode.Sequence) {
            List<Object> l = new ArrayList<Object>();
            for (YamlNode item : ((YamlNode.Sequence) n).items()) {
                l.add(value(item));
            }
            return l;
        }
        YamlNode.Scalar s = (YamlNode.Scalar) n;
        switch (s.type()) {
            case NULL:
                return null;
            case BOOLEAN:
                return Boolean.valueOf(s.text());
            case INTEGER:
                return Long.valueOf(s.text());
            default:
                return s.text();
        }
    }

    /** A field as a string, or null. */
    static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /** A numeric field, or {@code dflt} when absent or null. */
    static int integer(Map<String, Object> m, String key, int dflt) {
        Object v = m.get(key);
        return v instanceof Number ? ((Number) v).intValue() : dflt;
    }
}
