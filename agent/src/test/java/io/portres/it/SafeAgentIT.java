package io.portres.it;

import io.portres.it.apps.Trivial;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The safe-agent test (after kotlinx-coroutines' safeDebugAgentTest): a trivial application under the agent exits
 * 0 and prints nothing on standard error on every JDK: no JVM warning (class sharing, restricted methods, illegal
 * access), no agent output the policy did not ask for.
 */
class SafeAgentIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void trivialAppExitsZeroWithEmptyStderr(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "mode: audit\n"
                + "log: { file: portres.log }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "rules:\n"
                + "  - name: never\n"
                + "    match: { port: 24005 }\n"
                + "    reservation: block\n");
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all").agent(policy.toString())
                .workDir(dir.toFile()).main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        assertThat(r.stdout).isEqualTo("OK\n");
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).as("the start-up summary goes to log.file").contains("[portres] portres ")
                .contains("rule 1 'never': tcp port 24005 -> 'block'");
        assertThat(log).doesNotContain("WARN").doesNotContain("ERROR");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void withoutLogFileTheSummaryIsTheOnlyOutput(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "mode: audit\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: never, match: { port: 24005 }, reservation: block }\n");
        ForkedJvm.Result r = ForkedJvm.on(jdk).agent(policy.toString()).workDir(dir.toFile())
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        for (String line : r.stderr.split("\n")) {
            assertThat(line).as(r.toString()).startsWith("[portres] ");
        }
        assertThat(r.stderr).doesNotContain("WARN").doesNotContain("ERROR");
    }
}
