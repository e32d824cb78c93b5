package io.portres.it;

import io.portres.it.apps.BindRulePort;
import io.portres.it.apps.MBeanProbe;
import io.portres.it.apps.MovesNetBindAgent;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 section 4: the start-up self-test. Every hook point the JDK uses is checked as applied and a probe bind
 * travels the path before any bind a rule could match is decided; a gap is a configuration error under
 * {@code onPolicyError}: status 2, or one warning and an inactive agent. Before the self-test, each gap below was
 * silent (or a warning after "portres active") and the JVM ran on with binds escaping the policy.
 */
class SelfTestIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    private static final String POLICY = "version: 1\n"
            + "mode: audit\n"
            + "log: { level: info, events: events.jsonl }\n"
            + "reservations:\n"
            + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
            + "rules:\n"
            + "  - name: fixed\n"
            + "    match: { port: 24001 }\n"
            + "    reservation: block\n"
            + "    implicit: true\n";

    /** The implicit-TCP hook point (site D) this JDK uses: NetHooks up to 25, Net.connect from 26. */
    private static String implicitHook(Jdk jdk) {
        return jdk.feature >= 26 ? "NET_CONNECT" : "TCP_CONNECT";
    }

    private static String explicitHook(Jdk jdk) {
        return jdk.feature <= 11 ? "B java.net.AbstractPlainSocketImpl.bind" : "A sun.nio.ch.Net.bind";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void everyHookAppliedAndTheProbeVerifiedShowInTheSummary(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", POLICY);
        ForkedJvm.Result r = ForkedJvm.on(jdk).agent(policy.toString()).workDir(dir.toFile())
                .main(BindRulePort.class.getName(), "24001").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).isEqualTo("main\nbound 24001\n");
        assertThat(r.stderr).as(r.toString()).contains(" active: policy ")
                .contains("hook " + explicitHook(jdk) + ": applied, verified by a probe bind")
                .contains(jdk.feature >= 26 ? "hook D' sun.nio.ch.Net.connect: applied"
                        : "hook D sun.net.NetHooks.beforeTcpConnect: applied")
                .doesNotContain("NOT APPLIED").doesNotContain("WARN").doesNotContain("ERROR");
        String events = new String(Files.readAllBytes(dir.resolve("events.jsonl")), StandardCharsets.UTF_8);
        assertThat(events.split("\n")).as("the probe is no application bind: one event, the application's")
                .hasSize(1);
        assertThat(events).contains("\"port\":24001").contains("\"outcome\":\"audited\"");
    }

    /** The application binds the rule's port, with the JDK's implicit-TCP hook point left out by the test switch. */
    private static ForkedJvm.Result bindWithoutImplicitHook(Jdk jdk, Path dir, String moreAgentArgs)
            throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", POLICY);
        return ForkedJvm.on(jdk).jvmArgs("-Dportres.test.skipHook=" + implicitHook(jdk))
                .agent("policy=" + policy + moreAgentArgs).workDir(dir.toFile())
                .main(BindRulePort.class.getName(), "24001").run();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aGapStopsTheJvmBeforeTheFirstBindARuleCouldMatch(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result r = bindWithoutImplicitHook(jdk, dir, "");
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stdout).as("the matched bind must never happen").doesNotContain("bound");
        assertThat(r.stderr).as(r.toString()).contains("[portres] ERROR hook self-test: D")
                .contains("NOT APPLIED (left out by -Dportres.test.skipHook=" + implicitHook(jdk) + ")")
                .contains("1 error in the portres configuration (a hook point of this JDK did not apply); the"
                        + " application is stopped").doesNotContain(" active: policy ").doesNotContain("\tat ");
        String events = new String(Files.readAllBytes(dir.resolve("events.jsonl")), StandardCharsets.UTF_8);
        assertThat(events).contains("\"outcome\":\"hook-gap\"").contains("NOT APPLIED");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aGapUnderContinueLeavesTheAgentInactiveWithOneWarning(Jdk jdk, @TempDir Path dir) throws Exception {
        ForkedJvm.Result r = bindWithoutImplicitHook(jdk, dir, ",onPolicyError=continue");
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).isEqualTo("main\nbound 24001\n");
        assertThat(r.stderr.split("\n")).as(r.toString()).hasSize(1);
        assertThat(r.stderr).contains("[portres] WARN hook self-test: a hook point of this JDK did not apply")
                .contains("the agent is inactive and the application runs without it (onPolicyError=continue)");
        String events = new String(Files.readAllBytes(dir.resolve("events.jsonl")), StandardCharsets.UTF_8);
        assertThat(events.split("\n")).as("no decision: the hook-gap event alone").hasSize(1);
        assertThat(events).contains("\"outcome\":\"hook-gap\"");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void theMBeanShowsTheGap(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", POLICY);
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Dportres.test.skipHook=" + implicitHook(jdk))
                .agent("policy=" + policy + ",onPolicyError=continue").workDir(dir.toFile())
                .main(MBeanProbe.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).contains("mode inactive").contains("hooks [")
                .contains("NOT APPLIED (left out by -Dportres.test.skipHook=" + implicitHook(jdk) + ")")
                .contains(explicitHook(jdk) + ": applied");
    }

    /**
     * A second agent that moves Net.bind's native call into a method of its own: portres's edit finds nothing to
     * replace. Before the self-test this was a warning after "portres active" and the JVM ran on unhooked.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void aSecondAgentThatMovesTheNativeBindIsAGap(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", POLICY);
        File mover = moverJar(dir);
        String cp = ForkedJvm.TEST_CLASSES + File.pathSeparator + asmJar();
        ForkedJvm.Result r = ForkedJvm.on(jdk).classpath(cp).jvmArgs("-javaagent:" + mover)
                .agent(policy.toString()).workDir(dir.toFile()).main(BindRulePort.class.getName(), "24001", "hold")
                .run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr).as(r.toString()).contains("[portres] ERROR hook self-test: A sun.nio.ch.Net.bind:"
                + " NOT APPLIED (the edit failed: ").contains("calls bind0 0 times, expected once")
                .contains("the application is stopped");

        ForkedJvm.Result cont = ForkedJvm.on(jdk).classpath(cp).jvmArgs("-javaagent:" + mover)
                .agent("policy=" + policy + ",onPolicyError=continue").workDir(dir.toFile())
                .main(BindRulePort.class.getName(), "24001").run();
        assertThat(cont.exitCode).as(cont.toString()).isZero();
        assertThat(cont.stdout).as("the moved native call still binds").isEqualTo("main\nbound 24001\n");
        assertThat(cont.stderr).as(cont.toString()).contains("[portres] WARN hook self-test: ")
                .contains("A sun.nio.ch.Net.bind: NOT APPLIED").contains("the agent is inactive");
    }

    private static File moverJar(Path dir) throws Exception {
        File jar = dir.resolve("mover.jar").toFile();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Premain-Class", MovesNetBindAgent.class.getName());
        try (JarOutputStream out = new JarOutputStream(new FileOutputStream(jar), mf)) {
            for (String c : new String[] {MovesNetBindAgent.class.getName(), MovesNetBindAgent.class.getName() + "$1",
                    MovesNetBindAgent.class.getName() + "$2", MovesNetBindAgent.class.getName() + "$2$1"}) {
                String entry = c.replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                out.write(Files.readAllBytes(new File(ForkedJvm.TEST_CLASSES, entry).toPath()));
                out.closeEntry();
            }
        }
        return jar;
    }

    /** ASM's core jar, from this test JVM's class path (the mover agent needs it). */
    private static String asmJar() {
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.replace('\\', '/').matches(".*/org/ow2/asm/asm/[^/]+/asm-[^/]+\\.jar")) {
                return e;
            }
        }
        throw new AssertionError("no ASM jar on " + System.getProperty("java.class.path"));
    }
}
