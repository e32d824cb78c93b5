package io.portres.it;

import io.portres.it.apps.Trivial;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A bad policy stops the application before main, with every error in file:line:col form and no stack trace. */
class BadPolicyIT {

    private static final String BAD = "version: 1\n"
            + "reservations:\n"
            + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
            + "rules:\n"
            + "  - name: a\n"
            + "    match: { port: 70000 }\n"
            + "    reservation: blok\n";

    @Test
    void applicationDoesNotStartAndEveryErrorIsShown(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", BAD);
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString())
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stdout).as("main must not run").isEmpty();
        assertThat(r.stderr).contains(policy + ":6:").contains("rules[0].match.port: 70000 is not a port")
                .contains(policy + ":7:").contains("rules[0].reservation:").contains("blok")
                .contains("2 errors in the portres configuration; the application was not started");
        assertThat(r.stderr).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void onPolicyErrorContinueStartsTheApplicationWithOneWarning(@TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", BAD);
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current())
                .agent("policy=" + policy + ",onPolicyError=continue").main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).isEqualTo("OK\n");
        assertThat(r.stderr).contains("the agent is inactive");
    }

    @Test
    void missingFileIsAnError(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.yaml");
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(missing.toString())
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr).contains(missing.toString()).contains("the application was not started");
    }

    @Test
    void noPolicyAtAllIsAnError() throws Exception {
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent(null).main(Trivial.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr).contains("no policy given");
    }

    @Test
    void systemPropertyAndEnvironmentGivePolicyInThatOrder(@TempDir Path dir) throws Exception {
        Path good = Policies.write(dir, "good.yaml", "version: 1\nlog: { level: warn }\nreservations: {}\n"
                + "rules: []\n");
        Path bad = Policies.write(dir, "bad.yaml", BAD);
        ForkedJvm.Result viaProperty = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Dportres.policy=" + good)
                .env("PORTRES_POLICY", bad.toString()).agent(null).main(Trivial.class.getName()).run();
        assertThat(viaProperty.exitCode).as(viaProperty.toString()).isZero();
        ForkedJvm.Result viaEnv = ForkedJvm.on(JdkMatrix.current()).env("PORTRES_POLICY", bad.toString())
                .agent(null).main(Trivial.class.getName()).run();
        assertThat(viaEnv.exitCode).as(viaEnv.toString()).isEqualTo(2);
        ForkedJvm.Result argWins = ForkedJvm.on(JdkMatrix.current()).jvmArgs("-Dportres.policy=" + bad)
                .agent(good.toString()).main(Trivial.class.getName()).run();
        assertThat(argWins.exitCode).as(argWins.toString()).isZero();
    }

    @Test
    void unknownAgentArgumentIsAnError() throws Exception {
        ForkedJvm.Result r = ForkedJvm.on(JdkMatrix.current()).agent("policy=x.yaml,bakend=audit")
                .main(Trivial.class.getName()).run();
        assertThat(r.exitCode).isEqualTo(2);
        assertThat(r.stderr).contains("agent argument 'bakend': unknown key");
    }
}
