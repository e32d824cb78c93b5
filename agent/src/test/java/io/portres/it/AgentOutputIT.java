package io.portres.it;

import io.portres.it.apps.FailingBinds;
import io.portres.it.apps.JdkHttpServer;
import io.portres.it.apps.Trivial;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
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

/** The agent's own output never blocks or breaks the application, and says nothing it should not (issue 14). */
class AgentOutputIT {

    /**
     * Standard error is a pipe nobody drains, and every bind fails (onError: fail) with an error line. Before, the
     * fail path wrote that line on the binding thread: the application hung once the pipe's buffer was full. Now the
     * lines are queued (bounded), then dropped and counted; the application runs to its end at -Xmx16m.
     */
    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aStalledStandardErrorNeverBlocksTheApplication(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 47310, count: 5 }\n"
                + "rules:\n"
                + "  - { name: all, match: { port: 0 }, reservation: block }\n");
        ForkedJvm jvm = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Xmx16m")
                .agent("policy=" + policy + ",backend=reject,jmx=false")
                .main(FailingBinds.class.getName(), "20000");
        ProcessBuilder pb = new ProcessBuilder(jvm.command());
        Path stdout = dir.resolve("stdout.txt");
        pb.redirectOutput(stdout.toFile());
        pb.redirectError(ProcessBuilder.Redirect.PIPE); // never read
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process p = pb.start();
        p.getOutputStream().close();
        boolean exited = p.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
            p.waitFor();
        }
        String out = new String(Files.readAllBytes(stdout), StandardCharsets.UTF_8);
        assertThat(exited).as("the application ran to its end (stdout: %s)", out).isTrue();
        assertThat(out).isEqualTo("done 20000 20000\n");
        assertThat(p.exitValue()).isZero();
        p.getErrorStream().close();
    }

    /** A FIFO as the events file hung the JVM in premain; now it is a configuration error, said at once. */
    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aFifoAsTheEventsFileIsAConfigurationErrorNotAHang(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("events.jsonl");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\nlog: { events: events.jsonl }\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).timeoutSeconds(60).agent(policy.toString())
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr).contains(policy + ": log.events: cannot write " + fifo + ": " + fifo + " is a FIFO"
                + " (named pipe)").contains("the application was not started");
    }

    /** A rule name forged a "file:line:col: all good" line and cleared the terminal line on the agent's stderr. */
    @Test
    void aForgedRuleNameStaysOneEscapedLineOnStandardError(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "reservations:\n"
                + "  r: { protocol: tcp, startPort: 47320, count: 5 }\n"
                + "rules:\n"
                + "  - name: \"x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K\"\n"
                + "    match: { port: 0 }\n"
                + "    reservation: r\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString())
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr).doesNotContain("\u001b").contains("x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K");
        assertThat(r.stderr.split("\n")).noneMatch(l -> l.startsWith("/etc/portres/policy.yaml"));
    }

    /**
     * The JDK's HTTP server is an application of sockets: a rule naming {@code sun.net.httpserver.ServerImpl} now
     * matches its bind, as {@code explain} says (the agent used to skip every {@code sun.net.*} frame).
     */
    @Test
    void aRuleOnTheJdksHttpServerMatchesItsBind(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "mode: audit\n"
                + "log: { events: events.jsonl }\n"
                + "reservations:\n"
                + "  r: { protocol: tcp, startPort: 47330, count: 5 }\n"
                + "rules:\n"
                + "  - { name: jdk-http, match: { port: 0, class: sun.net.httpserver.ServerImpl }, reservation: r }\n");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString())
                .main(JdkHttpServer.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(r.toString()).hasSize(1);
        assertThat(events.get(0)).containsEntry("rule", "jdk-http").containsEntry("outcome", "audited");
    }
}
