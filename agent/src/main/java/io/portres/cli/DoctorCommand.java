package io.portres.cli;

import io.portres.agent.backend.linux.PortRanges;
import io.portres.agent.backend.linux.SocketTable;
import io.portres.agent.log.SafeFiles;
import io.portres.policy.LogSettings;
import io.portres.policy.Policy;
import io.portres.policy.PolicyException;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Problem;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.ReservationKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code portres doctor [POLICY]}: one line per check, OK / WARN / FAIL, with the fix. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks this machine (and a policy) for what portres needs.", "The checks: a supported JDK,"
                + " root or elevation, the native layer (Windows: JNA and the Windows API; Linux: the port"
                + " settings), the policy itself, each reservation (reserved? its token?) and conflicts. One line"
                + " per check: OK, WARN or FAIL, with the fix.",
                "Exit status: 0 no FAIL, 1 some check failed, 2 bad usage."},
        footer = {"%nExample:%n  java -jar portres-agent.jar doctor /etc/portres/policy.yaml"})
final class DoctorCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "POLICY", description = "a policy file to check against this machine")
    Path policyFile;

    @Option(names = "--json", description = "one JSON object on standard output instead of text")
    boolean json;

    @Option(names = "--verify", description = "start a JVM with -Xverify:all and the agent, bind through every"
            + " socket API, and report each hook point this JDK uses: applied and verified, or why not")
    boolean verify;

    @Option(names = "--java", paramLabel = "JAVA", description = "with --verify: the java executable to check"
            + " (default: the one running this command)")
    Path javaExe;

    @Spec
    CommandSpec spec;

    private final Main.Context ctx;
    private final List<Map<String, Object>> checks = new ArrayList<Map<String, Object>>();
    /** The socket tables, read once per protocol. */
    private final Map<Protocol, SocketTable> sockets = new EnumMap<Protocol, SocketTable>(Protocol.class);

    DoctorCommand(Main.Context ctx) {
        this.ctx = ctx;
    }

    private void add(String status, String check, String detail, String fix) {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("status", status);
        m.put("check", check);
        m.put("detail", detail);
        m.put("fix", fix);
        checks.add(m);
    }

    @Override
    public Integer call() {
        Host host = ctx.host;
        int feature = host.javaFeature();
        if (feature >= 8 && feature <= 27) {
            add("OK", "java", "JDK " + host.javaVersion + " (portres is tested on JDK 8, 11, 17, 21, 25, 26 and 27)", null);
        } else {
            add("WARN", "java", "JDK " + host.javaVersion + " is outside what portres is tested on (8 to 27)",
                    "run the server on JDK 8 to 27, or report how portres behaves on this one");
        }
        OsReservations os = null;
        try {
            os = ctx.reservations();
            add("OK", "native", os.where() + " readable", null);
        } catch (CliException e) {
            add(host.isWindows() || host.isLinux() ? "FAIL" : "WARN", "native", e.getMessage(), host.isWindows()
                    ? "check that the agent jar is complete (META-INF/portres/jna) and that the JVM may load native"
                    + " libraries" : host.isLinux() ? "check that /proc is mounted" : "portres enforces on Windows and"
                    + " Linux; elsewhere it records decisions only (as in mode: audit)");
        }
        if (os != null) {
            Boolean privileged = os.privileged();
            String what = "linux".equals(os.os()) ? "root" : "elevated";
            if (Boolean.TRUE.equals(privileged)) {
                add("OK", "privileges", "this process is " + what, null);
            } else {
                add("WARN", "privileges", "this process is " + (privileged == null ? "of unknown privilege" : "not "
                        + what) + ": creating and deleting reservations needs it" + ("windows".equals(os.os())
                        ? ", and so does associating sockets with a persistent reservation (the service must run"
                        + " elevated, or use kind: runtime)" : ""), "windows".equals(os.os())
                        ? "run doctor from an elevated prompt to check as the service will run" : "run as root to"
                        + " change net.ipv4.ip_local_reserved_ports");
            }
        }
        if (policyFile != null) {
            checkPolicy(os);
        }
        if (verify) {
            verifyHooks();
        }
        boolean failed = false;
        PrintWriter out = spec.commandLine().getOut();
        for (Map<String, Object> c : checks) {
            failed |= "FAIL".equals(c.get("status"));
            if (!json) {
                out.printf("%-4s %s: %s%s%n", c.get("status"), c.get("check"), c.get("detail"),
                        c.get("fix") == null ? "" : "; fix: " + c.get("fix"));
            }
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<String, Object>();
            m.put("ok", !failed);
            m.put("checks", checks);
            out.println(JsonWriter.write(m));
        }
        return failed ? Main.FOUND_PROBLEMS : Main.OK;
    }

    /** Seconds the {@code --verify} JVM may take. */
    private static final long VERIFY_TIMEOUT_SECONDS = 120;

    /**
     * {@code --verify}: a JVM of the user's {@code java} with {@code -Xverify:all} (production JVMs do not verify boot
     * classes, so an edit the verifier would refuse shows only here) and the agent, running
     * {@code VerifyHooks}; one check per hook point it reports.
     */
    private void verifyHooks() {
        java.io.File jar = agentJar();
        if (jar == null) {
            add("FAIL", "hooks", "--verify needs the packaged agent jar (run it as java -jar portres-agent.jar)",
                    null);
            return;
        }
        String exe = javaExe != null ? javaExe.toString() : Paths.get(System.getProperty("java.home"), "bin",
                ctx.host.isWindows() ? "java.exe" : "java").toString();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("portres-verify");
            Path policy = dir.resolve("verify.yaml");
            // a UDP rule for port 0, so that the JDK 8/11 implicit-UDP hooks count as in use and are verified too
            Files.write(policy, ("version: 1\nmode: audit\nlog: { level: warn }\nreservations:\n"
                    + "  verify: { protocol: udp, startPort: 30100, count: 10 }\nrules:\n"
                    + "  - name: verify\n    match: { port: 0 }\n    reservation: verify\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            List<String> cmd = new ArrayList<String>();
            cmd.add(exe);
            cmd.add("-Xverify:all");
            cmd.add("-javaagent:" + jar.getAbsolutePath() + "=policy=" + policy + ",onPolicyError=continue");
            cmd.add("-jar"); // the CLI's main finds the agent's loader and runs VerifyHooks there
            cmd.add(jar.getAbsolutePath());
            cmd.add(VerifyHooksChild.COMMAND);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectErrorStream(true);
            pb.environment().remove("PORTRES_POLICY");
            pb.environment().remove("PORTRES_ON_POLICY_ERROR");
            Process p = pb.start();
            p.getOutputStream().close();
            final java.io.InputStream in = p.getInputStream();
            final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            Thread pump = new Thread(new Runnable() {
                @Override
                public void run() {
                    try {
                        buf.write(io.portres.agent.Streams.readAll(in));
                    } catch (IOException ignored) {
                        // what was read is reported
                    }
                }
            }, "verify-output");
            pump.start();
            if (!p.waitFor(VERIFY_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            pump.join(10000);
            int status = p.isAlive() ? -1 : p.exitValue();
            String output = new String(buf.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
            StringBuilder other = new StringBuilder();
            int hooks = 0;
            for (String line : output.split("\r?\n")) {
                String[] f = line.split("\t", 5);
                if (f.length == 5 && f[0].equals("hook")) {
                    hooks++;
                    add(f[3], "hook " + f[1], f[2] + ": " + f[4], "OK".equals(f[3]) ? null : "report it with"
                            + " this output and the JDK's version; another agent that rewrites the JDK's socket"
                            + " classes can cause it");
                } else if (!line.trim().isEmpty()) {
                    other.append(other.length() == 0 ? "" : " | ").append(line.trim());
                }
            }
            if (status != 0 && hooks == 0 || status < 0) {
                add("FAIL", "hooks", exe + " -Xverify:all with the agent " + (status < 0 ? "did not finish in "
                        + VERIFY_TIMEOUT_SECONDS + " s" : "exited with status " + status) + (other.length() == 0
                        ? "" : ": " + other), "run it by hand to see more: " + join(cmd));
            } else if (other.length() > 0) {
                add("WARN", "hooks", "the verifying JVM also said: " + other, null);
            }
        } catch (Exception e) {
            add("FAIL", "hooks", "cannot start " + exe + ": " + e, "give the java executable with --java");
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve("verify.yaml"));
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temporary file left behind
                }
            }
        }
    }

    private static String join(List<String> cmd) {
        StringBuilder sb = new StringBuilder();
        for (String c : cmd) {
            sb.append(sb.length() == 0 ? "" : " ").append(c);
        }
        return sb.toString();
    }

    /** The jar this command runs from, or null (classes folder). */
    private static java.io.File agentJar() {
        try {
            java.io.File f = new java.io.File(DoctorCommand.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI());
            return f.isFile() ? f : null;
        } catch (Exception e) {
            return null;
        }
    }

    private void checkPolicy(OsReservations os) {
        Policy policy;
        try {
            policy = PolicyLoader.load(policyFile);
        } catch (PolicyException e) {
            int n = 0;
            StringBuilder sb = new StringBuilder();
            for (Problem p : e.problems()) {
                if (p.severity() == Problem.Severity.ERROR) {
                    sb.append(n++ == 0 ? "" : " | ").append(p);
                }
            }
            add("FAIL", "policy", sb.toString(), "java -jar portres-agent.jar validate " + policyFile);
            return;
        }
        add("OK", "policy", policyFile + " is valid: " + ValidateCommand.count(policy.reservations().size(),
                "reservation") + ", " + ValidateCommand.count(policy.rules().size(), "rule") + ", mode "
                + policy.mode().id(), null);
        List<Problem> warnings = new ArrayList<Problem>(policy.warnings());
        warnings.addAll(PolicyChecks.unreachableRules(policy));
        for (Problem w : warnings) {
            add("WARN", "policy", w.toString(), null);
        }
        checkOutput("log.file", policy.log().file(), policy.log());
        checkOutput("log.events", policy.log().events(), policy.log());
        if (os == null) {
            return;
        }
        for (Reservation r : policy.reservations()) {
            checkReservation(os, policy, r);
        }
        try {
            for (Problem w : PolicyChecks.againstMachine(policy, os)) {
                add("WARN", "conflict", w.toString(), null);
            }
        } catch (CliException e) {
            add("WARN", "conflict", "cannot compare the reservations with this machine's: " + e.getMessage(), null);
        }
    }

    /**
     * Whether the agent (run by this user) can write {@code file} as it will: a regular file or none yet, not a link,
     * in a folder no other user can swap it in ({@link SafeFiles}), writable, on a file system with room for it.
     */
    private void checkOutput(String key, Path file, LogSettings settings) {
        if (file == null) {
            return;
        }
        try {
            SafeFiles.checkWritable(file);
        } catch (IOException e) {
            add("FAIL", key, e.getMessage(), "change " + key + " in the policy, or the file or folder named");
            return;
        }
        Path existing = Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? file : file.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isWritable(existing)) {
            add("WARN", key, file + " is not writable by this user (" + System.getProperty("user.name") + ")",
                    "run doctor as the user the server runs as, or give that user write access");
            return;
        }
        long need = settings.maxSize() == 0 ? 0 : settings.maxSize() * (settings.keep() + 1);
        try {
            long free = Files.getFileStore(existing).getUsableSpace();
            if (need > 0 && free < need) {
                add("WARN", key, file + ": " + (free >> 20) + " MiB free, less than the " + (need >> 20) + " MiB that"
                        + " the file and its " + settings.keep() + " rotated copies may take (log.maxSize "
                        + (settings.maxSize() >> 20) + " MiB)", "free space, or lower log.maxSize or log.keep");
                return;
            }
            add("OK", key, file + " can be written" + (need > 0 ? " (" + (free >> 20) + " MiB free)" : ""), null);
        } catch (IOException e) {
            add("OK", key, file + " can be written", null);
        }
    }

    private void checkReservation(OsReservations os, Policy policy, Reservation r) {
        String check = "reservation '" + r.name() + "'";
        String head = r.describe() + ", " + r.kind().id();
        if (r.kind() == ReservationKind.RUNTIME) {
            add("OK", check, head + ": acquired by the agent at start-up" + ("windows".equals(os.os())
                    ? " (SIO_ACQUIRE_PORT_RESERVATION, no elevation needed)" : r.startPort() == 0
                    ? "; on Linux a block without startPort does not confine binds" : ""), null);
            return;
        }
        if (r.hasToken() && "windows".equals(os.os())) {
            add("WARN", check, head + ": a literal token in the policy; tokens change when Windows restarts",
                    "remove token: so that the agent looks the reservation up at every start");
        }
        OsReservations.Block b;
        try {
            b = os.lookup(r.protocol(), r.startPort(), r.count());
        } catch (CliException e) {
            add("FAIL", check, head + ": " + e.getMessage(), null);
            return;
        }
        if (b != null) {
            add("OK", check, head + ": reserved" + (b.token != null ? ", token " + b.token : " in "
                    + os.where()), null);
        } else if ("windows".equals(os.os())) {
            add(r.create() ? "WARN" : "FAIL", check, head + ": no such persistent reservation" + (r.create()
                    ? "; the agent creates it at start-up (create: true), if the service runs elevated" : ""),
                    os.reserveCommand(policy, r));
        } else if (!PortRanges.atRisk(false, os.dynamicRange(r.protocol()), r.startPort(), r.endPort())) {
            int[] range = os.dynamicRange(r.protocol());
            add("OK", check, head + ": not in " + LinuxPorts.RESERVED_SYSCTL + ", and needs not be: it lies outside"
                    + " the ephemeral range " + range[0] + "-" + range[1] + " (" + LinuxPorts.RANGE_SYSCTL + "), where"
                    + " no ephemeral port is taken", null);
        } else {
            add("WARN", check, head + ": not in " + LinuxPorts.RESERVED_SYSCTL + "; the agent still confines"
                    + " matched binds to it, but other processes' ephemeral ports may land in it" + (r.create()
                    ? " (create: true adds it when the JVM runs as root)" : ""),
                    os.reserveCommand(policy, r));
        }
        if ("linux".equals(os.os())) {
            try {
                SocketTable table = sockets.get(r.protocol());
                if (table == null) {
                    table = new LinuxPorts(ctx.host).sockets(r.protocol());
                    sockets.put(r.protocol(), table);
                }
                occupancy(check, r, table);
            } catch (IOException ignored) {
                // the socket tables are optional
            }
        }
    }

    /** Which ports of the block sockets hold now: in use, or only by connections in TIME_WAIT. */
    private void occupancy(String check, Reservation r, SocketTable table) {
        StringBuilder inUse = new StringBuilder();
        StringBuilder timeWait = new StringBuilder();
        int used = 0;
        int waiting = 0;
        for (int port = r.startPort(); port <= r.endPort(); port++) {
            if (table.inUse(port)) {
                used++;
                list(inUse, used, port);
            } else if (table.timeWait(port)) {
                waiting++;
                list(timeWait, waiting, port);
            }
        }
        if (used + waiting == 0) {
            return;
        }
        int free = r.count() - used - waiting;
        String text = used + " of its " + r.count() + " ports are in use now" + (used > 0 ? " (" + inUse + ")" : "")
                + (waiting > 0 ? ", " + waiting + " are held only by connections in TIME_WAIT (" + timeWait
                + "; closed less than a minute ago: server sockets of the block still take them, client sockets"
                + " do not)" : "") + ": " + free + " free";
        add(used == r.count() ? "WARN" : "OK", check, text, used == r.count() ? "the next bind through it is"
                + " exhausted (onError decides): enlarge the block (count) or close sockets" : null);
    }

    private static void list(StringBuilder ports, int n, int port) {
        if (n <= 10) {
            ports.append(n == 1 ? "" : ",").append(port);
        } else if (n == 11) {
            ports.append(",...");
        }
    }
}
