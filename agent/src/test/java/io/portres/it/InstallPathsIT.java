package io.portres.it;

import io.portres.it.apps.BindAndReport;
import io.portres.it.apps.Attacher;
import io.portres.it.apps.BindEveryApi;
import io.portres.it.apps.PreloadAgent;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ways the agent gets into a JVM other than a plain -javaagent: after another agent already loaded the socket
 * classes (retransformation), twice, and by attaching to a running JVM.
 */
class InstallPathsIT {

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void socketClassesLoadedBeforeTheAgentAreRetransformed(Jdk jdk, @TempDir Path dir) throws Exception {
        File preload = preloadAgentJar(dir);
        Path policy = Policies.write(dir, "policy.yaml", Policies.auditEveryWildcard(""));
        ForkedJvm.Result r = ForkedJvm.on(jdk).jvmArgs("-Xverify:all", "-javaagent:" + preload)
                .agent(policy.toString()).workDir(dir.toFile())
                .main(BindEveryApi.class.getName(), "server-socket", "datagram-socket", "server-socket-channel",
                        "datagram-channel", "socket-channel-bind")
                .run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString()).isEmpty();
        List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
        assertThat(events).as(r + "\n" + events).hasSize(5);
        String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
        assertThat(log).doesNotContain("could not instrument").doesNotContain("cannot retransform");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void installingTwiceIsANoOpWithOneWarning(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", Policies.auditEveryWildcard(""));
        ForkedJvm.Result r = ForkedJvm.on(jdk).agent(policy.toString()).agent(policy.toString())
                .workDir(dir.toFile()).main(BindEveryApi.class.getName(), "server-socket").run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stderr).as(r.toString())
                .isEqualTo("[portres] WARN portres is already installed in this JVM; ignoring the second"
                        + " -javaagent/attach\n");
        assertThat(Events.read(dir.resolve("events.jsonl"))).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void attachingToARunningJvmAffectsLaterBinds(Jdk jdk, @TempDir Path dir) throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "mode: audit\n"
                + "log: { file: portres.log, events: events.jsonl }\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "rules:\n"
                + "  - { name: servers, match: { port: 0 }, reservation: block }\n");
        ForkedJvm target = ForkedJvm.on(jdk).jvmArgs("-Xverify:all");
        if (jdk.feature >= 21) {
            target.jvmArgs("-XX:+EnableDynamicAgentLoading"); // else JDK 21+ warns about every dynamic agent
        }
        List<String> cmd = new ArrayList<String>(target.main(BindAndReport.class.getName(), "1", "wait").command());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            String early = out.readLine();
            assertThat(out.readLine()).isEqualTo("ready");
            attach(jdk, pid(p), policy.toString());
            OutputStream in = p.getOutputStream();
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            StringBuilder rest = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                rest.append(line).append('\n');
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String stderr = new String(readAll(p.getErrorStream()), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(stderr).isZero();
            assertThat(stderr).isEmpty();
            List<Map<String, Object>> events = Events.read(dir.resolve("events.jsonl"));
            assertThat(events).as("only binds after the attach: " + early + "\n" + rest).hasSize(2);
            String log = new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
            assertThat(log).contains("attached");
        } finally {
            p.destroyForcibly();
        }
    }

    private static byte[] readAll(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0; ) {
            b.write(buf, 0, n);
        }
        return b.toByteArray();
    }

    /** Process.pid() and the attach API are JDK 9+ / jdk.attach: called reflectively (tests compile for 8). */
    static String pid(Process p) throws Exception {
        return String.valueOf(Process.class.getMethod("pid").invoke(p));
    }

    /** Attaches with the target's own JDK (see {@link Attacher}); JDK 8 needs its tools.jar. */
    static void attach(Jdk jdk, String pid, String args) throws Exception {
        String cp = ForkedJvm.TEST_CLASSES;
        if (jdk.feature == 8) {
            cp += File.pathSeparator + new File(jdk.home, "lib/tools.jar");
        }
        ForkedJvm.Result r = ForkedJvm.on(jdk).classpath(cp).main(Attacher.class.getName(), pid,
                new File(ForkedJvm.AGENT_JAR).getAbsolutePath(), args).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
    }

    static File preloadAgentJar(Path dir) throws Exception {
        File jar = dir.resolve("preload.jar").toFile();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Premain-Class", PreloadAgent.class.getName());
        try (JarOutputStream out = new JarOutputStream(new FileOutputStream(jar), mf)) {
            String entry = PreloadAgent.class.getName().replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(entry));
            out.write(Files.readAllBytes(new File(ForkedJvm.TEST_CLASSES, entry).toPath()));
            out.closeEntry();
        }
        return jar;
    }
}
