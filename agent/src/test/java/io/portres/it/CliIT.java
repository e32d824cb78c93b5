package io.portres.it;

import io.portres.it.apps.Trivial;
import io.portres.it.support.AppOutput;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI as operators run it: {@code java -jar portres-agent.jar <command>}. The Windows side of
 * {@code reservations} and {@code doctor} runs against the simulator ({@code -Dportres.windows.library}, and
 * {@code winsimctl netsh} for netsh, whose headings it prints in French).
 */
class CliIT {

    static final String JAR = new File(ForkedJvm.AGENT_JAR).getAbsolutePath();
    static final File WINSIM = new File(System.getProperty("portres.winsim", "target/winsim")).getAbsoluteFile();

    @TempDir
    Path dir;

    ForkedJvm cli(Jdk jdk, String... args) {
        return ForkedJvm.on(jdk).workDir(dir.toFile()).jar(JAR, args);
    }

    /** The CLI on the simulator's Windows API, elevated or not. */
    ForkedJvm windowsCli(Jdk jdk, boolean elevated, String... args) {
        return ForkedJvm.on(jdk).workDir(dir.toFile())
                .jvmArgs("-Dportres.windows.library=" + new File(WINSIM, "libportres-winsim.so"),
                        "-Dportres.netsh=" + new File(WINSIM, "winsimctl") + " netsh")
                .env("WINSIM_STORE", dir.resolve("winsim.store").toString())
                .env("WINSIM_ELEVATED", elevated ? "1" : "0")
                .jar(JAR, args);
    }

    @Test
    void versionAndHelp() throws Exception {
        ForkedJvm.Result v = cli(JdkMatrix.current(), "--version").run();
        assertThat(v.exitCode).isZero();
        assertThat(v.stdout).startsWith("portres 0.");
        ForkedJvm.Result none = cli(JdkMatrix.current()).run();
        assertThat(none.exitCode).isEqualTo(2);
        assertThat(none.stderr).contains("Usage: portres");
    }

    @Test
    void validatePrintsTheErrorsExactlyAsTheAgentDoes() throws Exception {
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "reservations:\n"
                + "  block: { protocol: tcp, startPort: 24000, count: 10 }\n"
                + "  other: { protocol: tcp, startPort: 24005, count: 10 }\n"
                + "rules:\n"
                + "  - name: a\n"
                + "    match: { port: 70000, adress: any }\n"
                + "    reservation: blok\n");
        ForkedJvm.Result agent = ForkedJvm.on(JdkMatrix.current()).agent(policy.toString())
                .main(Trivial.class.getName()).run();
        assertThat(agent.exitCode).isEqualTo(2);
        List<String> agentErrors = new ArrayList<String>();
        for (String line : agent.stderr.split("\n")) {
            if (line.startsWith(policy.toString())) {
                agentErrors.add(line);
            }
        }
        assertThat(agentErrors).hasSizeGreaterThanOrEqualTo(4);
        ForkedJvm.Result cli = cli(JdkMatrix.current(), "validate", policy.toString()).run();
        assertThat(cli.exitCode).as(cli.toString()).isEqualTo(1);
        assertThat(cli.stdout).startsWith(String.join("\n", agentErrors) + "\n");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void withoutRootCreatingAReservationSaysHow() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/setpriv").canExecute(), "setpriv (util-linux) is needed");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "switching to nobody needs root");
        // as nobody, so that the kernel refuses the write and the host's setting is never changed; nobody must be
        // able to read the jar wherever the checkout is
        Path jar = Files.createTempFile("portres-cli-", ".jar");
        Files.copy(Paths.get(JAR), jar, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> asNobody = new ArrayList<String>();
        asNobody.add("/usr/bin/setpriv");
        asNobody.add("--reuid=65534");
        asNobody.add("--regid=65534");
        asNobody.add("--clear-groups");
        ProcessBuilder pb = new ProcessBuilder(asNobody);
        pb.command().add(JdkMatrix.current().java);
        pb.command().add("-jar");
        pb.command().add(jar.toString());
        pb.command().add("reservations");
        pb.command().add("create");
        pb.command().add("--start");
        pb.command().add("50000");
        pb.command().add("--count");
        pb.command().add("100");
        pb.directory(new File("/"));
        Process p = pb.redirectErrorStream(true).start();
        String out = AppOutput.readAll(p.getInputStream());
        int status = p.waitFor();
        Files.delete(jar);
        assertThat(status).as(out).isEqualTo(2);
        assertThat(out).contains("needs root in this network namespace",
                "sudo sysctl -w net.ipv4.ip_local_reserved_ports=");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void windowsReservationsThroughIphlpapiWithTokensAndLocalizedNetsh() throws Exception {
        Jdk jdk = JdkMatrix.get(25);
        ForkedJvm.Result refused = windowsCli(jdk, false, "reservations", "create", "--start", "47000", "--count",
                "10").run();
        assertThat(refused.exitCode).isEqualTo(2);
        assertThat(refused.stderr).contains("creating the persistent reservation tcp 47000+10 needs an elevated"
                + " process (ERROR_ACCESS_DENIED (5) from CreatePersistentTcpPortReservation)",
                "netsh int ipv4 add excludedportrange protocol=tcp startport=47000 numberofports=10 store=persistent");

        ForkedJvm.Result created = windowsCli(jdk, true, "reservations", "create", "--start", "47000", "--count",
                "10", "--json").run();
        assertThat(created.exitCode).as(created.toString()).isZero();
        assertThat(created.stderr).as("no restricted-method warning on JDK 25").isEmpty();
        String token = created.stdout.replaceAll("(?s).*\"token\":\"(0x[0-9A-F]{16})\".*", "$1");
        assertThat(token).startsWith("0x").hasSize(18);

        ForkedJvm.Result lookup = windowsCli(jdk, false, "reservations", "lookup", "--start", "47000", "--count",
                "10").run();
        assertThat(lookup.exitCode).isZero();
        assertThat(lookup.stdout).contains("found: tcp 47000-47009 (10 ports, persistent, token " + token + ")");

        ForkedJvm.Result list = windowsCli(jdk, false, "reservations", "list").run();
        assertThat(list.exitCode).as(list.toString()).isZero();
        assertThat(list.stdout).contains("1 reserved block", "tcp 47000-47009 (10 ports, persistent, token " + token
                + ")");

        // someone else's reservation, which the policy's 'inside' overlaps
        ProcessBuilder other = new ProcessBuilder(new File(WINSIM, "winsimctl").getPath(), "create", "tcp", "47200",
                "10").redirectErrorStream(true);
        other.environment().put("WINSIM_STORE", dir.resolve("winsim.store").toString());
        Process o = other.start();
        AppOutput.readAll(o.getInputStream());
        assertThat(o.waitFor()).isZero();
        Path policy = Policies.write(dir, "policy.yaml", "version: 1\n"
                + "reservations:\n"
                + "  ok: { protocol: tcp, startPort: 47000, count: 10 }\n"
                + "  missing: { protocol: udp, startPort: 47100, count: 5 }\n"
                + "  inside: { protocol: tcp, startPort: 47205, count: 2 }\n"
                + "  dynamic: { protocol: tcp, startPort: 50000, count: 10, create: true }\n"
                + "rules:\n"
                + "  - { name: r, match: { port: 0 }, reservation: ok }\n");
        ForkedJvm.Result doctor = windowsCli(jdk, false, "doctor", policy.toString()).run();
        assertThat(doctor.exitCode).as(doctor.toString()).isEqualTo(1);
        assertThat(doctor.stdout).contains("WARN privileges: this process is not elevated",
                "OK   reservation 'ok': tcp 47000-47009, persistent: reserved, token " + token,
                "FAIL reservation 'missing': udp 47100-47104, persistent: no such persistent reservation; fix: netsh"
                        + " int ipv4 add excludedportrange protocol=udp startport=47100 numberofports=5"
                        + " store=persistent (elevated)",
                "WARN reservation 'dynamic': tcp 50000-50009, persistent: no such persistent reservation; the agent"
                        + " creates it at start-up (create: true)",
                "reservation 'inside' (tcp 47205-47206) overlaps the persistent reservation tcp 47200-47209");
        ForkedJvm.Result validate = windowsCli(jdk, false, "validate", policy.toString()).run();
        assertThat(validate.stdout).contains("reservation 'dynamic' (tcp 50000-50009) lies inside this machine's tcp"
                + " dynamic port range 49152-65535 and is not reserved");

        assertThat(windowsCli(jdk, false, "reservations", "delete", "--start", "47000", "--count", "10").run()
                .exitCode).as("deleting needs elevation").isEqualTo(2);
        assertThat(windowsCli(jdk, true, "reservations", "delete", "--start", "47000", "--count", "10").run()
                .exitCode).isZero();
        ForkedJvm.Result gone = windowsCli(jdk, false, "reservations", "lookup", "--start", "47000", "--count", "10")
                .run();
        assertThat(gone.exitCode).isEqualTo(1);
        assertThat(gone.stdout).contains("not found");
    }

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    /**
     * {@code doctor --verify --java <each JDK>}: a JVM of that JDK with {@code -Xverify:all} and the agent binds
     * through every API; each hook point the JDK uses is reported applied and verified.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void doctorVerifyReportsEveryHookPointOfEachJdk(Jdk jdk) throws Exception {
        ForkedJvm.Result r = cli(JdkMatrix.current(), "doctor", "--verify", "--java", jdk.java).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        assertThat(r.stdout).as(r.toString()).contains("OK   hook A: sun.nio.ch.Net.bind: applied, verified by")
                .doesNotContain("FAIL").doesNotContain("WARN hooks");
        if (jdk.feature >= 26) {
            assertThat(r.stdout).contains("OK   hook D': sun.nio.ch.Net.connect: applied, verified by SocketChannel"
                    + ".connect (implicit bind)").doesNotContain("NetHooks");
        } else {
            assertThat(r.stdout).contains("OK   hook D: sun.net.NetHooks.beforeTcpConnect: applied, verified by"
                    + " SocketChannel.connect (implicit bind)");
        }
        if (jdk.feature <= 11) {
            assertThat(r.stdout).contains("OK   hook B: java.net.AbstractPlainSocketImpl.bind: applied, verified by"
                    + " ServerSocket.bind").contains("OK   hook C: java.net.AbstractPlainDatagramSocketImpl.bind:"
                    + " applied, verified by DatagramSocket").contains("OK   hook E: sun.nio.ch.DatagramChannelImpl"
                    + ".connect: applied, verified by DatagramChannel.connect (implicit bind)");
        } else {
            assertThat(r.stdout).doesNotContain("hook B").doesNotContain("hook C").doesNotContain("hook E");
        }
    }

    /** A hook point left out (the test switch, inherited by the verifying JVM) is a FAIL line and status 1. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void doctorVerifyFailsOnAMissingHookPoint(Jdk jdk) throws Exception {
        String skipped = jdk.feature >= 26 ? "NET_CONNECT" : "TCP_CONNECT";
        ForkedJvm.Result r = ForkedJvm.on(jdk).workDir(dir.toFile())
                .env("JAVA_TOOL_OPTIONS", "-Dportres.test.skipHook=" + skipped).jar(JAR, "doctor", "--verify").run();
        assertThat(r.exitCode).as(r.toString()).isEqualTo(1);
        assertThat(r.stdout).as(r.toString()).contains("FAIL hook D").contains("NOT APPLIED (left out by"
                + " -Dportres.test.skipHook=" + skipped + ")").contains("OK   hook A: sun.nio.ch.Net.bind");
    }
}
