package io.portres.it.apps;

import io.portres.agent.backend.linux.LinuxBackend;
import io.portres.agent.backend.linux.PortRanges;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.LineSink;
import io.portres.policy.LogLevel;
import io.portres.policy.PolicyLoader;

import java.io.File;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

/**
 * Writers of {@code net.ipv4.ip_local_reserved_ports} racing each other, run as root inside {@code unshare -n} (it
 * writes that namespace's list). Usage:
 * <ul>
 *   <li>{@code threads <k> <rounds>}: per round, k Linux backends start at once, each with a 10-port block and
 *       {@code create: true}; prints {@code lost <n> of <k*rounds>}, the blocks missing from the list afterwards;</li>
 *   <li>{@code hold <dir> <java command...>}: holds the writers' lock file, starts the command (a JVM with the
 *       agent, {@code create: true}, logging to {@code <dir>/portres.log}), waits until its log says it waits for
 *       the lock, adds 27300-27309 as another writer would, releases the lock, and prints the child's output and
 *       {@code reserved=<list>}.</li>
 * </ul>
 */
public final class CreateRace {

    static final Path RESERVED = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");
    static final Path LOCK = Paths.get("/run/lock/portres-ip_local_reserved_ports.lock");

    public static void main(String[] args) throws Exception {
        if (args[0].equals("threads")) {
            threads(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        } else {
            hold(Paths.get(args[1]), Arrays.asList(args).subList(2, args.length));
        }
    }

    private static void threads(final int k, int rounds) throws Exception {
        Path log = Files.createTempFile("create-race", ".log");
        final AgentLog agentLog = new AgentLog(LogLevel.WARN, LineSink.file(log, false));
        int lost = 0;
        for (int round = 0; round < rounds; round++) {
            Files.write(RESERVED, "1000\n".getBytes(StandardCharsets.US_ASCII));
            final CyclicBarrier start = new CyclicBarrier(k);
            List<Thread> all = new ArrayList<Thread>();
            for (int i = 0; i < k; i++) {
                final int first = 27100 + 10 * i;
                Thread t = new Thread(() -> {
                    try {
                        LinuxBackend b = new LinuxBackend();
                        io.portres.policy.Policy p = PolicyLoader.parse("version: 1\nreservations:\n  b: { protocol:"
                                + " tcp, startPort: " + first + ", count: 10, create: true }\nrules: []\n", "p.yaml",
                                null);
                        start.await();
                        b.start(p, agentLog);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                all.add(t);
            }
            for (Thread t : all) {
                t.join();
            }
            PortRanges now = PortRanges.parse(LinuxBackend.readProc(RESERVED));
            for (int i = 0; i < k; i++) {
                if (!now.covers(27100 + 10 * i, 27109 + 10 * i)) {
                    lost++;
                }
            }
        }
        System.out.println("lost " + lost + " of " + k * rounds);
        System.out.println("warnings " + new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
    }

    private static void hold(Path dir, List<String> command) throws Exception {
        Files.write(RESERVED, "1000\n".getBytes(StandardCharsets.US_ASCII));
        Path log = dir.resolve("portres.log");
        Process child;
        try (FileChannel ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = ch.lock();
            child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(new File(dir.toFile(), "child.out")).start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            boolean waited = false;
            while (!waited && System.nanoTime() < deadline && child.isAlive()) {
                waited = Files.exists(log) && new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
                        .contains("waiting for " + LOCK);
                if (!waited) {
                    Thread.sleep(20); // polling the child's log file: there is no event to wait on
                }
            }
            System.out.println(waited ? "child waited for the lock" : "child did not wait for the lock");
            Files.write(RESERVED, "1000,27300-27309\n".getBytes(StandardCharsets.US_ASCII));
            lock.release();
        }
        int exit = child.waitFor();
        System.out.println("child exit " + exit);
        System.out.println(new String(Files.readAllBytes(dir.resolve("child.out")), StandardCharsets.UTF_8));
        System.out.println("reserved=" + LinuxBackend.readProc(RESERVED).trim());
    }
}
