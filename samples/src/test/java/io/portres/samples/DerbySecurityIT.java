package io.portres.samples;

import io.portres.samples.SampleServer.Block;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Derby 10.14 network server, {@code NetworkServerControl start -p 0}, which installs its own SecurityManager at
 * run time with its own policy file. The agent's grant is in the user's {@code ~/.java.policy} (here a
 * {@code user.home} of the test's), which the JDK's default Policy reads along with any policy file: the listener
 * lands in the block (policies/derby.yaml), associated.
 */
@EnabledOnOs(OS.LINUX)
class DerbySecurityIT {

    @Test
    void derbyUnderItsOwnManagerLandsInTheBlock() throws Exception {
        Path work = Paths.get("target", "derby").toAbsolutePath();
        Path userHome = work.resolve("home");
        Files.createDirectories(userHome);
        Files.deleteIfExists(work.resolve("events.jsonl"));
        Files.deleteIfExists(work.resolve("portres.log"));
        String agentJar = new File(System.getProperty("portres.agentJar")).getAbsolutePath();
        Files.write(userHome.resolve(".java.policy"), String.format(TomcatSecurityIT.GRANT, agentJar)
                .getBytes(StandardCharsets.UTF_8));
        Path dist = Paths.get("target", "dist").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-javaagent:" + agentJar + "=" + Paths.get("policies", "derby.yaml").toAbsolutePath(),
                "-Duser.home=" + userHome, "-Dderby.system.home=" + work,
                "-cp", dist.resolve("derby.jar") + File.pathSeparator + dist.resolve("derbynet.jar"),
                "org.apache.derby.drda.NetworkServerControl", "start", "-p", "0").directory(work.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PORTRES_") || k.endsWith("JAVA_OPTIONS")
                || k.equals("JAVA_TOOL_OPTIONS"));
        try (SampleServer server = SampleServer.launch(pb, work.resolve("events.jsonl"),
                line -> line.contains("ready to accept connections"))) {
            server.awaitReadyLine(); // it names the port asked for (0), not the one bound: /proc tells that
            assertThat(server.output()).contains("Security manager installed using the Basic server security policy");
            server.assertEverySocketLandedInItsBlock(new Block("derby-network-server", "tcp", 21700, 10, 1));
            String log = new String(Files.readAllBytes(work.resolve("portres.log")), StandardCharsets.UTF_8);
            assertThat(log).doesNotContain("cannot enforce").doesNotContain("ERROR");
        }
    }
}
