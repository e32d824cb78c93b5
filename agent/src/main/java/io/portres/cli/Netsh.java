package io.portres.cli;

import io.portres.agent.Streams;
import io.portres.policy.Protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The two read-only netsh queries Windows has no documented API for: the excluded port ranges and the dynamic port
 * range. netsh's headings and labels are localized ("Plages d'exclusion de ports", "Puerto de inicio", ...), so only
 * the numbers are read: a row of two ports with an optional {@code *} (administered, i.e. persistent), and the
 * numbers after a colon. {@code -Dportres.netsh=<program>} runs another program with the same arguments (the
 * simulator's {@code winsimctl netsh} in tests).
 */
final class Netsh {

    /** One row of {@code show excludedportrange}: start, end, administered. */
    static final class Range {
        final int start;
        final int end;
        final boolean administered;

        Range(int start, int end, boolean administered) {
            this.start = start;
            this.end = end;
            this.administered = administered;
        }
    }

    private final List<String> command;

    Netsh(String program) {
        this.command = program == null || program.trim().isEmpty() ? Arrays.asList("netsh")
                : new ArrayList<String>(Arrays.asList(program.trim().split(" ")));
    }

    List<Range> excludedRanges(Protocol protocol) throws IOException {
        return parseExcluded(run("int", "ipv4", "show", "excludedportrange", "protocol=" + protocol.id()));
    }

    /** {@code [low, high]}, or null when the output has no start and count. */
    int[] dynamicRange(Protocol protocol) throws IOException {
        return parseDynamic(run("int", "ipv4", "show", "dynamicport", protocol.id()));
    }

    static List<Range> parseExcluded(String out) {
        List<Range> ranges = new ArrayList<Range>();
        for (String line : out.split("\r?\n")) {
            String[] f = line.trim().split("\\s+");
            if ((f.length == 2 || f.length == 3 && f[2].equals("*")) && isNumber(f[0]) && isNumber(f[1])) {
                ranges.add(new Range(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f.length == 3));
            }
        }
        return ranges;
    }

    static int[] parseDynamic(String out) {
        List<Integer> numbers = new ArrayList<Integer>();
        for (String line : out.split("\r?\n")) {
            int colon = line.lastIndexOf(':');
            if (colon >= 0 && isNumber(line.substring(colon + 1).trim())) {
                numbers.add(Integer.valueOf(line.substring(colon + 1).trim()));
            }
        }
        if (numbers.size() < 2) {
            return null;
        }
        return new int[] {numbers.get(0), numbers.get(0) + numbers.get(1) - 1};
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private String run(String... args) throws IOException {
        List<String> cmd = new ArrayList<String>(command);
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = read(p.getInputStream());
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out.trim());
        }
        return out;
    }

    private static String read(InputStream in) throws IOException {
        return new String(Streams.readAll(in), Charset.defaultCharset());
    }
}
