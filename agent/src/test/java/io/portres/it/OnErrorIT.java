package io.portres.it;

import io.portres.it.apps.BindAndReport;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code onError} with a backend whose association fails ({@code backend=reject}): {@code fail} turns the bind into
 * the deliberate BindException and the socket stays closable; {@code continue} binds without the association and
 * warns once per rule and cause.
 */
class OnErrorIT {

    private static String policy(String onError) {
        return "version: 1\n"
                + "onError: " + onError + "\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "  udp-block: { protocol: udp, startPort: 25000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: servers, match: { port: 0 }, reservation: block }\n";
    }

    @Test
    void failThrowsTheDeliberateBindException(@TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy("fail"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Xverify:all")
                .agent("policy=" + p + ",backend=reject").workDir(dir.toFile())
                .main(BindAndReport.class.getName(), "1").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        String expected = "portres: rule 'servers' could not associate this tcp socket with reservation 'block'"
                + " (" + "tcp 24000-24009" + "): the reject backend refuses every association";
        assertThat(r.stdout).contains("failed server-socket " + expected)
                .contains("failed server-socket-channel " + expected)
                .contains("closed server-socket true").contains("closed server-socket-channel true")
                .containsPattern("bound datagram-socket \\d+"); // no UDP rule: untouched
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(2);
        for (Map<String, Object> e : events) {
            assertThat(e.get("outcome")).isEqualTo("failed");
            assertThat(e.get("boundPort")).isNull();
            assertThat(e.get("backend")).isEqualTo("reject");
            assertThat((String) e.get("error")).contains("the reject backend refuses every association");
        }
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).contains("ERROR rule 'servers' refused a tcp bind 0.0.0.0:0");
    }

    @Test
    void continueBindsAndWarnsOncePerRuleAndCause(@TempDir Path dir) throws Exception {
        Path p = Policies.write(dir, "policy.yaml", policy("continue"));
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Xverify:all")
                .agent("policy=" + p + ",backend=reject").workDir(dir.toFile())
                .main(BindAndReport.class.getName(), "3").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).doesNotContain("failed");
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).hasSize(6);
        for (Map<String, Object> e : events) {
            assertThat(e.get("outcome")).isEqualTo("continued");
            assertThat(e.get("boundPort")).isNotNull();
            assertThat((String) e.get("error")).contains("reject backend");
        }
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        int warnings = log.split("WARN rule 'servers': association with reservation", -1).length - 1;
        assertThat(warnings).as(log).isEqualTo(1);
    }
}
