package io.portres.cli;

import io.portres.agent.match.SocketCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What validate, explain and doctor print about files and policies they should not trust (issue 14). */
class CliOutputSafetyTest {

    @TempDir
    Path dir;

    private String[] run(String... args) throws Exception {
        Path sys = Files.createDirectories(dir.resolve("sys"));
        Path net = Files.createDirectories(dir.resolve("net"));
        Files.write(sys.resolve("ip_local_reserved_ports"), "\n".getBytes(StandardCharsets.US_ASCII));
        Files.write(sys.resolve("ip_local_port_range"), "32768\t60999\n".getBytes(StandardCharsets.US_ASCII));
        String heading = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
                + " inode\n";
        Files.write(net.resolve("tcp"), heading.getBytes(StandardCharsets.US_ASCII));
        Files.write(net.resolve("udp"), heading.getBytes(StandardCharsets.US_ASCII));
        Host host = new Host("Linux", "17.0.15", "17", sys, net, 0);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new Main.Context(host), new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private Path policy(String name, String yaml) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, yaml.getBytes(StandardCharsets.UTF_8));
        return p;
    }

    private static final String FORGED = "version: 1\n"
            + "reservations:\n"
            + "  r: { protocol: tcp, startPort: 50000, count: 10 }\n"
            + "rules:\n"
            + "  - name: \"x\\n/etc/portres/policy.yaml:1:1: all good\\e[2K\"\n"
            + "    match: { port: 0 }\n"
            + "    reservation: r\n";

    /** A rule name forged a "file:line:col: all good" line and replayed a raw ESC in validate. */
    @Test
    void validateNeverPrintsAControlCharacterAndItsJsonStaysValid() throws Exception {
        Path p = policy("policy.yaml", FORGED);
        String[] text = run("validate", "--offline", p.toString());
        assertThat(text[0]).isEqualTo("1");
        assertThat(text[1]).doesNotContain("\u001b").contains("\\e[2K");
        assertThat(text[1].split("\n")).hasSize(2).noneMatch(l -> l.startsWith("/etc/portres/policy.yaml"));
        String json = run("validate", "--offline", "--json", p.toString())[1].trim();
        assertThat(json).startsWith("{").endsWith("}");
        assertThat(json.chars().filter(c -> c < 0x20)).as("raw control characters in the JSON").isEmpty();
        assertThat(json).contains("\\u001b[2K");
    }

    /** validate on a FIFO waited forever for a writer. */
    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void validateRefusesAFifoWithoutWaitingForIt() throws Exception {
        Path fifo = dir.resolve("policy.yaml");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        String[] r = run("validate", "--offline", fifo.toString());
        assertThat(r[1]).contains(fifo + ": cannot read policy: it is not a regular file (a named pipe, socket or"
                + " device); a policy must be a regular file");
    }

    /** The agent skipped every sun.net.* frame while explain matched them: a rule on the JDK's HTTP server. */
    @Test
    void explainAndTheAgentAgreeOnTheJdksSocketCode() throws Exception {
        Path p = policy("policy.yaml", "version: 1\n"
                + "reservations:\n"
                + "  r: { protocol: tcp, startPort: 50000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: http, match: { port: 0, class: sun.net.httpserver.ServerImpl }, reservation: r }\n"
                + "  - { name: nio, match: { port: 0, class: sun.nio.ch.ServerSocketChannelImpl }, reservation: r }\n");
        assertThat(SocketCode.isSocketOrAgentFrame("sun.net.httpserver.ServerImpl")).isFalse();
        assertThat(SocketCode.isSocketOrAgentFrame("sun.nio.ch.ServerSocketChannelImpl")).isTrue();
        String[] http = run("explain", p.toString(), "--port", "0", "--class", "sun.net.httpserver.ServerImpl");
        assertThat(http[1]).contains("rule 1 'http' (line 5): MATCHES");
        String[] nio = run("explain", p.toString(), "--port", "0", "--class", "sun.nio.ch.ServerSocketChannelImpl");
        assertThat(nio[1]).contains("(ignored: [sun.nio.ch.ServerSocketChannelImpl] is the JDK's socket code")
                .contains("no rule matches");
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void doctorFailsALogFileAnotherUserCouldSwap() throws Exception {
        Path open = Files.createDirectories(dir.resolve("open"));
        assertThat(new ProcessBuilder("chmod", "777", open.toString()).inheritIO().start().waitFor()).isZero();
        Path p = policy("policy.yaml", "version: 1\nlog: { events: open/events.jsonl, file: portres.log }\n");
        String[] r = run("doctor", p.toString());
        assertThat(r[1]).contains("FAIL log.events: the folder " + open + " is writable by every user")
                .contains("OK   log.file: " + dir.resolve("portres.log") + " can be written");
        assertThat(r[0]).isEqualTo("1");
    }
}
