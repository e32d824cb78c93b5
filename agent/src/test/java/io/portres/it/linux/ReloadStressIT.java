package io.portres.it.linux;

import io.portres.it.apps.ReloadStress;
import io.portres.it.support.EventTail;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.PolicyFile;
import io.portres.it.support.RunningJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot reload under load, on the Linux backend: six binding threads while the policy file is changed 240 times, valid
 * and invalid, atomically and slowly, with the same size and time, by a symlink flip, and deleted. No bind may end
 * outside the block of the policy that decided it, the process's descriptors must stay flat (each policy has its own
 * log and events files), and every change must be seen exactly once.
 */
@EnabledOnOs(OS.LINUX)
class ReloadStressIT {

    static final long POLL_MILLIS = 100;
    private static final int CYCLES = 40; // 6 changes each

    /** Two policies of exactly the same length: blocks 47100-47149 ('a') and 47150-47199 ('b'). */
    static String policy(char which) {
        int start = which == 'a' ? 47100 : 47150;
        return "version: 1\n"
                + "log: { level: warn, file: " + which + ".log, events: " + which + ".jsonl }\n"
                + "reservations:\n"
                + "  " + which + ": { protocol: tcp, startPort: " + start + ", count: 50 }\n"
                + "rules:\n"
                + "  - { name: servers, match: { port: 0 }, reservation: " + which + " }\n";
    }

    private EventTail tail;
    private int expectedReloaded;
    private int expectedFailed;

    @Test
    void hundredsOfReloadsUnderBindingThreadsLeaveNoBindOutsideItsBlockAndNoDescriptorBehind(@TempDir Path dir)
            throws Exception {
        PolicyFile file = new PolicyFile(dir.resolve("policy.yaml"));
        Files.write(file.path(), policy('a').getBytes(StandardCharsets.UTF_8));
        tail = new EventTail(dir.resolve("a.jsonl"), dir.resolve("b.jsonl"));
        Path stop = dir.resolve("stop");
        ForkedJvm jvm = ForkedJvm.on(JdkMatrix.current()).workDir(dir.toFile())
                .jvmArgs("-Dportres.reloadPollMillis=" + POLL_MILLIS)
                .agent("policy=" + file.path() + ",reload=true,backend=linux,jmx=false")
                .main(ReloadStress.class.getName(), "6", stop.toString(), "47100", "47199");
        int baselineFds = -1;
        int exit;
        char current = 'a';
        try (RunningJvm app = new RunningJvm(jvm.processBuilder())) {
            app.awaitFds();
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                char other = current == 'a' ? 'b' : 'a';
                file.replaceAtomically(policy(other));
                expect(1, 0);
                current = other;
                file.replaceAtomically("version: 1\nrules: [ this is not a policy " + cycle + "\n");
                expect(0, 1);
                other = current == 'a' ? 'b' : 'a';
                file.writeSlowly(policy(other), POLL_MILLIS / 10); // applied once, complete (a pause far below a poll)
                expect(1, 0);
                current = other;
                other = current == 'a' ? 'b' : 'a';
                file.replaceKeepingSizeAndTime(policy(other));
                expect(1, 0);
                current = other;
                other = current == 'a' ? 'b' : 'a';
                file.flipSymlinkTo(policy(other), "version-" + other + ".yaml");
                expect(1, 0);
                current = other;
                file.delete();
                expect(0, 1);
                file.replaceAtomically(policy(current)); // the version in force again: nothing to reload
                Thread.sleep(4 * POLL_MILLIS);
                expect(0, 0);
                if (cycle == 2) {
                    Thread.sleep(300); // a sample after the first 18 changes
                    baselineFds = app.lastFds();
                }
            }
            Thread.sleep(300);
            int lastFds = app.lastFds();
            exit = app.stop(stop);
            String all = app.text();
            assertThat(exit).as(all).isZero();
            assertThat(all).doesNotContain("OUTSIDE ").doesNotContain("ERROR ");
            List<String> lines = app.lines();
            String summary = lines.get(lines.size() - 1);
            assertThat(summary).as(all).matches("binds \\d+ outside 0 errors 0");
            assertThat(lastFds).as("descriptors after " + (6 * CYCLES) + " changes, against after 18")
                    .isBetween(baselineFds - 2, baselineFds + 2);
            Map<String, Integer> blocks = new java.util.HashMap<>();
            blocks.put("a", 47100);
            blocks.put("b", 47150);
            long recorded = Events.assertAssociatedInBlocks("servers", blocks, 50, dir.resolve("a.jsonl"),
                    dir.resolve("b.jsonl"));
            assertThat(recorded).as("binds recorded").isGreaterThan(1000)
                    .isEqualTo(Long.parseLong(summary.split(" ")[1]));
        }
    }

    /** Waits until {@code reloaded} and {@code reload-failed} grew by exactly these counts (at most 20 s). */
    private void expect(int reloaded, int failed) throws Exception {
        expectedReloaded += reloaded;
        expectedFailed += failed;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end && (tail.count("reloaded") < expectedReloaded
                || tail.count("reload-failed") < expectedFailed)) {
            Thread.sleep(10);
        }
        assertThat(new int[] {tail.count("reloaded"), tail.count("reload-failed")}).as("reloaded, reload-failed")
                .containsExactly(expectedReloaded, expectedFailed);
    }
}
