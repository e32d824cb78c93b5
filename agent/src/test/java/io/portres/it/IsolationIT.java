package io.portres.it;

import io.portres.it.apps.IsolationProbe;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent is none of the application's business: under the agent, the application can name none of the agent's
 * classes (they are defined by the agent's own loader from {@code META-INF/portres/core/}), gains no access to
 * {@code java.base} (opened to the agent's module only) and cannot reach the bridge's state in {@code sun.nio.ch}.
 * JDK 8 has no modules: there the JDK's internals are open to every caller anyway, the bridge's among them; the
 * agent's classes stay unnamed.
 */
class IsolationIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void theApplicationSeesNoAgentClassNoOpenedPackageAndNoBridgeState(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", Policies.auditEveryWildcard(""));
        // JDK 9-16 let the class path reach into the JDK by default (--illegal-access=permit): deny it, to see what
        // the agent alone opens.
        String[] jvmArgs = jdk.feature >= 9 && jdk.feature <= 16
                ? new String[] {"-Xverify:all", "--illegal-access=deny"} : new String[] {"-Xverify:all"};
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs(jvmArgs).agent(policy.toString())
                .workDir(dir.toFile()).main(IsolationProbe.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        String out = r.stdout;
        for (String name : new String[] {"io.portres.agent.Installer", "io.portres.agent.AgentMain",
                "io.portres.agent.jdk.JdkAccess", "io.portres.agent.hook.BridgeLink", "io.portres.cli.Main",
                "io.portres.policy.Policy", "io.portres.shaded.bytebuddy.jar.asm.ClassReader"}) {
            assertThat(out).as(r.toString()).contains("class " + name + "=hidden\n");
        }
        assertThat(out).contains("resource io/portres/agent/Installer.class=hidden\n");
        assertThat(out).contains("agent loader via threads=none\n");
        assertThat(out).contains("static handles in the trampoline=none none \n");
        if (jdk.feature >= 9) {
            assertThat(out).as(r.toString()).contains("setAccessible sun.nio.ch.Net=denied\n",
                    "setAccessible FileDescriptor.fd=denied\n", "setAccessible ServerSocket.impl=denied\n",
                    "bridge.dispatcher write=denied\n", "bridge.dispatcher read=denied\n",
                    "bridge.CANDIDATE_PORTS read=denied\n",
                    "bridge.readyTimeoutMillis write=denied\n");
        }
        assertThat(r.stderr).as(r.toString()).doesNotContain("WARN").doesNotContain("ERROR");
    }
}
