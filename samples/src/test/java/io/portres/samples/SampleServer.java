package io.portres.samples;

import io.portres.samples.ProcSockets.BoundSocket;
import io.portres.samples.report.EventsTable;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A sample server forked the way samples/README.md runs it: the packaged agent with
 * {@code policies/<sample>.yaml}, the classpath of {@code target/<sample>.classpath}, standard input a pipe (closing
 * it stops the server) and the policy's log and events files in {@code target/<sample>/}.
 */
final class SampleServer implements AutoCloseable {

    /**
     * A reservation's block, as the test expects the policy to use it: the rule, the block ({@code startPort} and
     * {@code count} as in the policy), and how many of the server's sockets belong there.
     */
    record Block(String rule, String protocol, int startPort, int count, int sockets) {
        boolean contains(String protocol, int port) {
            return this.protocol.equals(protocol) && port >= startPort && port < startPort + count;
        }
    }

    private static final long READY_SECONDS = 60;
    private static final long STOP_SECONDS = 30;

    private final Process process;
    private final Path events;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<String> readyLine = new CompletableFuture<>();
    private final Thread outputReader = new Thread(this::readOutput, "sample-output");

    private final java.util.function.Predicate<String> ready;

    private SampleServer(Process process, Path events) {
        this(process, events, line -> line.startsWith("ready:"));
    }

    private SampleServer(Process process, Path events, java.util.function.Predicate<String> ready) {
        this.process = process;
        this.events = events;
        this.ready = ready;
        outputReader.setDaemon(true);
        outputReader.start();
    }

    static SampleServer start(String sample, List<String> jvmArgs, Class<?> main, String... args) throws IOException {
        Path logs = Paths.get("target", sample).toAbsolutePath();
        Files.createDirectories(logs);
        Files.deleteIfExists(logs.resolve("events.jsonl"));
        Files.deleteIfExists(logs.resolve("portres.log"));
        return start(sample, Paths.get("policies", sample + ".yaml").toAbsolutePath().toString(),
                logs.resolve("events.jsonl"), jvmArgs, main, args);
    }

    /**
     * The server of {@code sample} (its classpath) under the agent with these arguments ({@code <policy>},
     * {@code discover=<file>}, ...); {@code events} is where its policy writes events, if it has one.
     */
    static SampleServer start(String sample, String agentArgs, Path events, List<String> jvmArgs, Class<?> main,
                              String... args) throws IOException {
        return start(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), sample, agentArgs, events,
                jvmArgs, main, args);
    }

    /** As {@link #start(String, String, Path, List, Class, String...)}, on the JVM that {@code java} runs. */
    static SampleServer start(String java, String sample, String agentArgs, Path events, List<String> jvmArgs,
                              Class<?> main, String... args) throws IOException {
        String classpath = new String(Files.readAllBytes(Paths.get("target", sample + ".classpath")),
                StandardCharsets.UTF_8).trim();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-javaagent:" + new File(System.getProperty("portres.agentJar")).getAbsolutePath() + "="
                + agentArgs);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new SampleServer(new ProcessBuilder(cmd).redirectErrorStream(true).start(), events);
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.append(line).append('\n');
                if (ready.test(line)) {
                    readyLine.complete(line);
                }
            }
        } catch (IOException e) {
            output.append("[reading the output failed: ").append(e).append("]\n");
        }
        readyLine.completeExceptionally(new IllegalStateException("the server's output ended before a ready line"));
    }

    /**
     * A server that is not one of the samples' mains (a distribution's start script, a server's own main): started
     * from {@code process} with its output merged; ready at the first line that {@code ready} accepts.
     */
    static SampleServer launch(ProcessBuilder process, Path events, java.util.function.Predicate<String> ready)
            throws IOException {
        return new SampleServer(process.redirectErrorStream(true).start(), events, ready);
    }

    /** Waits for the server's ready line and returns it. */
    String awaitReadyLine() throws InterruptedException {
        try {
            return readyLine.get(READY_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return fail("no ready line within " + READY_SECONDS + " s (" + e + ")\n" + output);
        }
    }

    /** Everything the server printed so far. */
    String output() {
        return output.toString();
    }

    /** Waits for the {@code ready: <name> <port> ...} line and returns its ports by name. */
    Map<String, Integer> awaitReady() throws InterruptedException {
        String line = awaitReadyLine();
        String[] words = line.substring("ready:".length()).trim().split(" ");
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (int i = 0; i + 1 < words.length; i += 2) {
            ports.put(words[i], Integer.parseInt(words[i + 1]));
        }
        return ports;
    }

    long pid() {
        return process.pid();
    }

    /** The events of this server's binds, from the policy's {@code log.events} file. */
    List<Map<String, String>> events() throws IOException {
        List<Map<String, String>> mine = new ArrayList<>();
        // the server's agent may be appending: only complete lines (ending in a newline) count
        String text = new String(Files.readAllBytes(events), StandardCharsets.UTF_8);
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
            if (line.trim().isEmpty()) {
                continue;
            }
            Map<String, String> e = EventsTable.parse(line);
            if (e.get("pid").equals(Long.toString(pid()))) {
                mine.add(e);
            }
        }
        return mine;
    }

    /**
     * Checks every socket the server has bound (from /proc, see {@link ProcSockets#of}) against the blocks: each lies
     * in one of them, its bind was recorded as associated by that block's rule, each block holds the expected number
     * of sockets, and every recorded bind landed in its rule's block. A socket in no block escaped the policy.
     */
    void assertEverySocketLandedInItsBlock(Block... blocks) throws IOException {
        List<BoundSocket> sockets = ProcSockets.of(pid());
        List<Map<String, String>> events = events();
        String context = "sockets of pid " + pid() + ": " + sockets + "\nevents:\n" + String.join("\n",
                events.stream().map(Object::toString).toList()) + "\noutput:\n" + output;
        for (BoundSocket s : sockets) {
            Block block = blockOf(blocks, s.protocol(), s.port());
            assertThat(block).as("%s escaped the policy: it is in no block\n%s", s, context).isNotNull();
            List<Map<String, String>> binds = events.stream().filter(e -> e.get("protocol").equals(s.protocol())
                    && e.get("boundPort").equals(Integer.toString(s.port()))).toList();
            assertThat(binds).as("the events of %s\n%s", s, context).hasSize(1);
            assertThat(binds.get(0)).as("the event of %s\n%s", s, context)
                    .containsEntry("rule", block.rule()).containsEntry("outcome", "associated")
                    .containsEntry("backend", "linux");
        }
        for (Block b : blocks) {
            assertThat(sockets.stream().filter(s -> b.contains(s.protocol(), s.port())))
                    .as("the sockets in %s\n%s", b, context).hasSize(b.sockets());
        }
        for (Map<String, String> e : events) {
            assertThat(e).as("every bind of the server\n%s", context).containsEntry("outcome", "associated");
            Block block = blockOf(blocks, e.get("protocol"), Integer.parseInt(e.get("boundPort")));
            assertThat(block).as("the block of %s\n%s", e, context).isNotNull();
            assertThat(block.rule()).as("the rule of %s\n%s", e, context).isEqualTo(e.get("rule"));
        }
    }

    private static Block blockOf(Block[] blocks, String protocol, int port) {
        for (Block b : blocks) {
            if (b.contains(protocol, port)) {
                return b;
            }
        }
        return null;
    }

    /** Ends standard input, which makes a sample server clean up, print {@code stopped} and exit with status 0. */
    void assertStopsCleanly() throws IOException, InterruptedException {
        process.getOutputStream().close();
        assertThat(process.waitFor(STOP_SECONDS, TimeUnit.SECONDS))
                .as("the server stopped within %d s after the end of its input\n%s", STOP_SECONDS, output).isTrue();
        outputReader.join(TimeUnit.SECONDS.toMillis(STOP_SECONDS));
        assertThat(process.exitValue()).as("the exit status\n%s", output).isZero();
        assertThat(output.toString().lines()).as("the output").contains("stopped");
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(STOP_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
