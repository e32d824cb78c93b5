package io.portres.cli;

import io.portres.agent.log.Json;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/** The commands' {@code --json} output: maps (in insertion order), lists, strings, numbers, booleans and null. */
final class JsonWriter {

    private JsonWriter() {
    }

    static String write(Object value) {
        StringBuilder sb = new StringBuilder(256);
        append(sb, value);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object v) {
        if (v == null || v instanceof String) {
            Json.string(sb, (String) v);
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map) {
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = ((Map<?, ?>) v).entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                Json.string(sb, String.valueOf(e.getKey())).append(':');
                append(sb, e.getValue());
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append('}');
        } else if (v instanceof Collection) {
            sb.append('[');
            Iterator<?> it = ((Collection<?>) v).iterator();
            while (it.hasNext()) {
                append(sb, it.next());
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append(']');
        } else {
            Json.string(sb, String.valueOf(v));
        }
    }
}
