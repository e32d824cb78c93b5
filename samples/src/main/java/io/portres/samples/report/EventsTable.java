package io.portres.samples.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints a portres events file (JSON lines) as a table: {@code EventsTable <events.jsonl>}. Only the flat objects
 * of the events contract are understood (strings, integers, null).
 */
public final class EventsTable {

    public static void main(String[] args) throws IOException {
        List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        String fmt = "%-10s %-5s %-15s %6s %6s  %-14s %-13s %-7s %s%n";
        System.out.printf(fmt, "outcome", "proto", "address", "port", "bound", "rule", "reservation", "backend",
                "caller");
        for (String line : lines) {
            if (line.trim().isEmpty()) {
                continue;
            }
            Map<String, String> e = parse(line);
            System.out.printf(fmt, e.get("outcome"), e.get("protocol"), e.get("address"), e.get("port"),
                    e.get("boundPort"), e.get("rule"), e.get("reservation"), e.get("backend"), e.get("caller"));
            if (!"null".equals(e.get("error"))) {
                System.out.println("         error: " + e.get("error"));
            }
        }
    }

    /** One line of the events file, every value as text: {@code "null"} for null, numbers as digits. */
    public static Map<String, String> parse(String json) {
        Map<String, String> m = new LinkedHashMap<String, String>();
        int i = json.indexOf('{') + 1;
        while (i < json.length()) {
            int ks = json.indexOf('"', i);
            if (ks < 0) {
                break;
            }
            int ke = json.indexOf('"', ks + 1);
            String key = json.substring(ks + 1, ke);
            int v = json.indexOf(':', ke) + 1;
            String value;
            if (json.charAt(v) == '"') {
                StringBuilder sb = new StringBuilder();
                int j = v + 1;
                for (; json.charAt(j) != '"'; j++) {
                    if (json.charAt(j) == '\\') {
                        j++;
                    }
                    sb.append(json.charAt(j));
                }
                value = sb.toString();
                i = j + 1;
            } else {
                int end = v;
                while (end < json.length() && json.charAt(end) != ',' && json.charAt(end) != '}') {
                    end++;
                }
                value = json.substring(v, end).trim();
                i = end;
            }
            m.put(key, value);
            i = json.indexOf(',', i) < 0 ? json.length() : json.indexOf(',', i) + 1;
        }
        return m;
    }
}
