package io.portres.agent.log;

import io.portres.policy.LogLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent's output never blocks, never grows without bound, and tells what it lost (issue 14, sections 2-3). */
class LineSinkTest {

    /** Collects what is written, and the threads that wrote it. */
    static final class Recording extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<String>();
        volatile CountDownLatch gate; // while set, writes wait for it: a reader that stopped draining
        volatile IOException fail;
        final AtomicInteger failures = new AtomicInteger();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            threads.add(Thread.currentThread().getName());
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (fail != null) {
                failures.incrementAndGet();
                throw fail;
            }
            synchronized (bytes) {
                bytes.write(b, off, len);
            }
        }

        List<String> lines() {
            synchronized (bytes) {
                String s = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
                return s.isEmpty() ? Arrays.<String>asList() : Arrays.asList(s.split("\n"));
            }
        }
    }

    private static EventLog.Event event(int i) {
        return EventLog.event(1700000000000L + i, "main", "tcp", "0.0.0.0", 0, 24000, "r", "res", null, "audit",
                "com.example.App", "audited", null, null);
    }

    /**
     * A stalled events reader: before, the 100,000-entry queue filled and the binding thread then wrote (and blocked)
     * itself; the entries held the heap (OutOfMemoryError at -Xmx16m). Now a million events take a bounded queue,
     * the caller never writes, and what did not fit is counted and told.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aStalledDestinationNeverBlocksTheCallerAndLossIsCountedAndReported() throws Exception {
        Recording logOut = new Recording();
        new AgentLog(LogLevel.INFO, LineSink.of(logOut, "the log")); // where the sinks report
        Recording eventsOut = new Recording();
        eventsOut.gate = new CountDownLatch(1);
        EventLog events = new EventLog(LineSink.of(eventsOut, "events.jsonl"));
        try {
            stalledThenDrained(logOut, eventsOut, events);
        } finally {
            eventsOut.gate.countDown(); // never leave a writer thread stuck for the next tests
            events.close();
        }
    }

    private static void stalledThenDrained(Recording logOut, Recording eventsOut, EventLog events) throws Exception {
        long start = System.nanoTime();
        long maxQueued = 0;
        for (int i = 0; i < 1000000; i++) {
            events.submit(event(i));
            if ((i & 1023) == 0) {
                maxQueued = Math.max(maxQueued, AsyncWriter.queuedBytes());
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(millis).as("a million submits, ms").isLessThan(20000);
        assertThat(maxQueued).as("bytes queued, all sinks").isLessThanOrEqualTo(AsyncWriter.BUDGET_BYTES + 4096);
        long dropped = events.sink().dropped();
        assertThat(dropped).isGreaterThan(900000);
        assertThat(eventsOut.threads).as("only the writer thread writes").containsOnly("portres-writer");
        AsyncWriter.flush(10000);
        assertThat(logOut.lines()).hasSize(1);
        assertThat(logOut.lines().get(0)).isEqualTo("[portres] WARN cannot keep up writing to events.jsonl (the"
                + " writer could not keep up; the queue was full): lines are dropped and counted until it catches up");

        eventsOut.gate.countDown(); // the reader drains again
        int expected = (int) (1000000 - dropped) + 1; // what was queued, then the summary once the writer caught up
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (eventsOut.lines().size() < expected && System.nanoTime() < deadline) {
            AsyncWriter.flush(100);
        }
        List<String> lines = eventsOut.lines();
        assertThat(lines).hasSize(expected);
        assertThat(lines.get(expected - 1)).contains("\"outcome\":\"dropped\"")
                .contains("\"error\":\"" + dropped + " event(s) were not written since ")
                .contains("(the writer could not keep up; the queue was full)");
        events.submit(event(-1)); // and it writes again
        AsyncWriter.flush(10000);
        assertThat(eventsOut.lines()).hasSize(expected + 1).last().asString()
                .contains("\"time\":\"2023-11-14T22:13:19.999Z\"");
        AsyncWriter.flush(10000);
        assertThat(logOut.lines()).hasSize(2);
        assertThat(logOut.lines().get(1)).isEqualTo("[portres] WARN writing to events.jsonl again; " + dropped
                + " line(s) were lost");
        assertThat(AsyncWriter.dropped()).isGreaterThanOrEqualTo(dropped);
    }

    /** Events on /dev/full wrote nothing and said nothing, forever. A write error is told once, with its cause. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWriteErrorIsReportedOnceWithItsCauseAndRecoveryIsTold() throws Exception {
        Recording logOut = new Recording();
        new AgentLog(LogLevel.INFO, LineSink.of(logOut, "the log"));
        Recording eventsOut = new Recording();
        eventsOut.fail = new IOException("No space left on device");
        EventLog events = new EventLog(LineSink.of(eventsOut, "/var/log/portres/events.jsonl"));
        for (int i = 0; i < 10; i++) {
            events.submit(event(i));
        }
        AsyncWriter.flush(10000);
        assertThat(eventsOut.failures.get()).isEqualTo(10);
        assertThat(events.sink().lastError()).isEqualTo("No space left on device");
        assertThat(AsyncWriter.writeErrors()).contains("/var/log/portres/events.jsonl: No space left on device");
        assertThat(logOut.lines()).containsExactly("[portres] WARN cannot write to /var/log/portres/events.jsonl: No"
                + " space left on device; lines are counted as lost until a write succeeds");

        eventsOut.fail = null;
        events.submit(event(10));
        AsyncWriter.flush(10000);
        List<String> lines = eventsOut.lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("\"time\":\"2023-11-14T22:13:20.010Z\"");
        assertThat(lines.get(1)).contains("\"outcome\":\"dropped\"")
                .contains("10 event(s) were not written since").contains("(write error: No space left on device)");
        assertThat(events.sink().lastError()).isNull();
        assertThat(logOut.lines()).hasSize(2).element(1).isEqualTo("[portres] WARN writing to"
                + " /var/log/portres/events.jsonl again; 10 line(s) were lost");
        events.close();
    }

    @Test
    void logLinesAreOneLineWhateverTheMessageHolds() throws Exception {
        Recording out = new Recording();
        AgentLog log = new AgentLog(LogLevel.INFO, LineSink.of(out, "the log"));
        log.error("rule 'x\n/etc/portres/policy.yaml:1:1: all good\u001b[2K' refused a bind");
        log.warnAsync("a\rb\u0007c");
        AsyncWriter.flush(10000);
        assertThat(out.lines()).containsExactly(
                "[portres] ERROR rule 'x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K' refused a bind",
                "[portres] WARN a\\rb\\u0007c");
    }

    @Test
    void filesRotateAtTheirSizeCap(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        LineSink sink = LineSink.file(file, false, 1000, 2);
        for (int i = 0; i < 100; i++) {
            sink.write(String.format("line %03d %s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")); // 50 bytes
        }
        sink.close();
        assertThat(dir.resolve("events.jsonl.3")).doesNotExist();
        for (String n : new String[] {"events.jsonl", "events.jsonl.1", "events.jsonl.2"}) {
            assertThat(Files.size(dir.resolve(n))).as(n).isLessThanOrEqualTo(1000).isGreaterThan(0);
        }
        List<String> current = Files.readAllLines(file);
        assertThat(current.get(current.size() - 1)).startsWith("line 099");
        List<String> previous = Files.readAllLines(dir.resolve("events.jsonl.1"));
        assertThat(previous.get(previous.size() - 1)).startsWith("line " + String.format("%03d",
                Integer.parseInt(current.get(0).substring(5, 8)) - 1));
    }

    /** A root JVM appended events into whatever another user's symlink pointed at. */
    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aSymbolicLinkIsNeverFollowed(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("shadow");
        Files.write(target, "secret\n".getBytes(StandardCharsets.UTF_8));
        Path link = dir.resolve("events.jsonl");
        Files.createSymbolicLink(link, target);
        assertThatThrownBy(() -> LineSink.file(link, false)).isInstanceOf(IOException.class)
                .hasMessage(link + " is a symbolic link: portres does not follow a link for a file it writes (a JVM"
                        + " running as root could be made to append to any file); name the file itself");
        assertThat(Files.readAllLines(target)).containsExactly("secret");
    }

    /** A FIFO as the log hung the JVM in premain (FileOutputStream.open0 waits for a reader). */
    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoOrADeviceIsAConfigurationErrorWithoutOpeningIt(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("events.jsonl");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        assertThatThrownBy(() -> LineSink.file(fifo, false)).hasMessage(fifo + " is a FIFO (named pipe), which would"
                + " block the JVM until a reader opens it, not a regular file: give the path of a regular file (it is"
                + " created if missing), or leave log.file out to log to standard error");
        Path full = Paths.get("/dev/full");
        if (Files.exists(full)) {
            assertThatThrownBy(() -> LineSink.file(full, false)).hasMessageStartingWith(full + " is a character"
                    + " device, not a regular file");
        }
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aFolderAnotherUserCanWriteIsRefusedUnlessStickyAndOurs(@TempDir Path dir) throws Exception {
        Path open = dir.resolve("open");
        Files.createDirectory(open);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> LineSink.file(open.resolve("events.jsonl"), false))
                .hasMessage("the folder " + open + " is writable by every user, who could replace "
                        + open.resolve("events.jsonl") + " with a link to any file; write it in a folder only its"
                        + " owner can write (chmod o-w " + open + ", or another folder)");
        assertThat(open.resolve("events.jsonl")).doesNotExist();
        // sticky, as /tmp: our own file (or a new one) is fine, since no one else can swap it
        assertThat(new ProcessBuilder("chmod", "1777", open.toString()).inheritIO().start().waitFor()).isZero();
        LineSink ok = LineSink.file(open.resolve("events.jsonl"), false);
        ok.write("{}");
        ok.close();
        assertThat(Files.readAllLines(open.resolve("events.jsonl"))).containsExactly("{}");
    }

    /** A reload that keeps its log file shares the open sink (one descriptor, one writer) until both have closed it. */
    @Test
    void oneSinkPerFileUntilEveryHolderClosedIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("portres.log");
        LineSink a = LineSink.file(file, true, 1 << 20, 3);
        LineSink b = LineSink.file(dir.resolve("x/../portres.log"), true, 1 << 20, 3);
        assertThat(b).isSameAs(a);
        a.close();
        b.write("still open");
        b.close();
        b.write("closed");
        assertThat(Files.readAllLines(file)).containsExactly("still open");
        LineSink c = LineSink.file(file, true, 1 << 20, 3);
        assertThat(c).isNotSameAs(a);
        c.write("reopened");
        c.close();
        assertThat(Files.readAllLines(file)).containsExactly("still open", "reopened");
    }
}
