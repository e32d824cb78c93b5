package io.portres.it;

import io.portres.it.apps.ReloadStress;
import io.portres.it.apps.MBeanProbe;
import io.portres.it.apps.NoJmxApp;
import io.portres.it.support.Jdk;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import io.portres.it.support.RunningJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code reload=true} under concurrent binds, and the {@code portres:type=Agent} MBean. */
class ReloadAndJmxIT {

    static String policy(int start) {
        return "version: 1\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: " + start + ", count: 20 }\n"
                + "rules:\n"
                + "  - { name: servers, match: { port: 0 }, reservation: block }\n";
    }

    @Test
    void aValidNewPolicyReplacesTheOldOneUnderConcurrentBindsAndABadOneDoesNot(@TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy(40400));
        Path stop = dir.resolve("stop");
        ForkedJvm jvm = ForkedJvm.on(JdkMatrix.current()).workDir(dir.toFile())
                .jvmArgs("-Dportres.reloadPollMillis=100").agent("policy=" + p + ",reload=true")
                .main(ReloadStress.class.getName(), "4", stop.toString(), "40400", "40519");
        int exit;
        String output;
        try (RunningJvm app = new RunningJvm(jvm.processBuilder())) {
            app.awaitFds(); // the application runs: the policy it started with was read
            Thread.sleep(300);
            Policies.write(dir, "policy.yaml", "version: 1\nrules: [ this is not a policy\n");
            awaitEvents(dir, "reload-failed", 1);
            Thread.sleep(300);
            Policies.write(dir, "policy.yaml", policy(40500));
            awaitEvents(dir, "reloaded", 1);
            Thread.sleep(300);
            exit = app.stop(stop);
            output = app.text();
        }
        assertThat(exit).as(output).isZero();
        assertThat(output).as("no bind outside both blocks, none failed").contains(" outside 0 errors 0");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        int phase = 0; // 0: old policy, 1: after the failed reload (still old), 2: after the good reload
        int beforeGood = 0;
        int afterGood = 0;
        for (Map<String, Object> e : events) {
            String outcome = (String) e.get("outcome");
            assertThat(outcome).as("events lost (the order below could not be judged): " + e.get("error"))
                    .isNotEqualTo("dropped");
            if ("reload-failed".equals(outcome)) {
                assertThat(phase).isZero();
                assertThat((String) e.get("error")).contains("policy.yaml:");
                phase = 1;
            } else if ("reloaded".equals(outcome)) {
                assertThat(phase).isEqualTo(1);
                phase = 2;
            } else {
                long port = (Long) e.get("boundPort");
                if (phase < 2) {
                    assertThat(port).as("old policy's block").isBetween(40400L, 40419L);
                    beforeGood++;
                } else if (port >= 40500) {
                    assertThat(port).isBetween(40500L, 40519L);
                    afterGood++;
                } else {
                    // a bind decided just before the swap may be recorded just after the reload event
                    assertThat(port).isBetween(40400L, 40419L);
                }
            }
        }
        assertThat(phase).isEqualTo(2);
        assertThat(beforeGood).isPositive();
        assertThat(afterGood).isPositive();
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).contains("failed: ").contains("the running policy stays in force")
                .contains("reloaded policy ");
    }

    /**
     * Waits until the events file holds {@code atLeast} events with {@code outcome}. Counts the text (the file grows by
     * thousands of binds a second: parsing it all at every poll would compete with the agent's writer).
     */
    private static void awaitEvents(Path dir, String outcome, int atLeast) throws Exception {
        String needle = "\"outcome\":\"" + outcome + "\"";
        Path file = dir.resolve("events.jsonl");
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(50)) {
            String text = Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
            int n = 0;
            for (int k = text.indexOf(needle); k >= 0; k = text.indexOf(needle, k + 1)) {
                n++;
            }
            if (n >= atLeast) {
                return;
            }
        }
        throw new AssertionError("no " + atLeast + " event(s) '" + outcome + "' within 60 s");
    }

    @Test
    void theMBeanShowsPolicyModeBackendAndPerRuleCounts(@TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy(40600).replace("version: 1\n", "version: 1\nmode: audit\n"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(p.toString()).workDir(dir.toFile())
                .main(MBeanProbe.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).contains("policyFile " + p.toAbsolutePath().normalize())
                .contains("mode audit").contains("backend audit")
                .contains("rule servers reservation block matched 2 associated 0 audited 2 failed 0 continued 0")
                .contains("reload true").contains("reloads 1 lastReload true");
    }

    @Test
    void jmxFalseRegistersNothing(@TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy(40700));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent("policy=" + p + ",jmx=false")
                .workDir(dir.toFile()).main(MBeanProbe.class.getName()).timeoutSeconds(60).run();
        assertThat(r.exitCode).as(r.toString()).isNotZero();
        assertThat(r.stderr).contains("InstanceNotFoundException");
    }

    /** The MBean server is created only in JVMs that use JMX: the agent alone never creates one. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.portres.it.support.JdkMatrix#jdks")
    void aJvmThatDoesNotUseJmxGetsNoMBeanServer(Jdk jdk, @TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy(40800));
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-verbose:class").agent(p.toString()).workDir(dir.toFile())
                .main(NoJmxApp.class.getName()).timeoutSeconds(60).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        String beforeMarker = r.stdout.substring(0, r.stdout.indexOf("NOJMX-SETTLED"));
        assertThat(r.stdout).contains("NOJMX-SETTLED true");
        assertThat(beforeMarker).as("classes loaded by a JVM that uses no JMX")
                .doesNotContainPattern("com\\.sun\\.jmx\\.mbeanserver\\.JmxMBeanServer\\s")
                .contains("io.portres.agent.jmx.JmxInUse");
    }
}
