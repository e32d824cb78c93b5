package io.portres.samples;

import io.portres.samples.legacy.LegacyServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's demo: the legacy server under samples/policies/demo.yaml; every socket is matched as intended. */
class DemoIT {

    @Test
    void everySocketOfTheLegacyServerMatchesItsRule() throws Exception {
        Path demo = Paths.get("target", "demo").toAbsolutePath();
        Files.createDirectories(demo);
        Path events = demo.resolve("events.jsonl");
        Files.deleteIfExists(events);
        List<String> cmd = new ArrayList<String>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-javaagent:" + new File(System.getProperty("portres.agentJar")).getAbsolutePath() + "="
                + Paths.get("policies", "demo.yaml").toAbsolutePath());
        cmd.add("-cp");
        cmd.add(Paths.get("target", "classes").toAbsolutePath().toString());
        cmd.add(LegacyServer.class.getName());
        cmd.add("18080");
        cmd.add("11099");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = read(p.getInputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = Files.readAllLines(events, StandardCharsets.UTF_8);
        assertThat(lines).as(out).hasSize(4);
        assertThat(lines.get(0)).contains("\"rule\":\"http-listener\"", "\"boundPort\":18080",
                "\"outcome\":\"associated\"", "\"backend\":\"linux\"");
        assertThat(lines.get(1)).contains("\"protocol\":\"udp\"", "\"rule\":\"discovery\"").containsPattern(
                "\"boundPort\":5100\\d,");
        assertThat(lines.get(2)).contains("\"rule\":\"rmi-registry\"", "\"boundPort\":11099",
                "\"caller\":\"sun.rmi.transport.tcp.TCPDirectSocketFactory\"");
        assertThat(lines.get(3)).contains("\"rule\":\"rmi-exports\"", "\"port\":0",
                "\"caller\":\"sun.rmi.transport.tcp.TCPDirectSocketFactory\"").containsPattern(
                "\"boundPort\":500\\d\\d,");
        assertThat(out).contains("remote call through RMI: clock.now() = ");
    }

    private static String read(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0; ) {
            b.write(buf, 0, n);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }
}
