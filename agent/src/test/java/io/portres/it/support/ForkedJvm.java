package io.portres.it.support;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a test application in a fresh JVM of a given JDK, with the packaged agent jar. */
public final class ForkedJvm {

    public static final String AGENT_JAR = System.getProperty("portres.agentJar", "target/portres-agent.jar");
    public static final String TEST_CLASSES = System.getProperty("portres.testClasses", "target/test-classes");

    private final Jdk jdk;
    private final List<String> jvmArgs = new ArrayList<String>();
    private final List<String> appArgs = new ArrayList<String>();
    private String mainClass;
    private String jar;
    private String classpath = TEST_CLASSES;
    private File workDir;
    private final java.util.Map<String, String> env = new java.util.HashMap<String, String>();
    private long timeoutSeconds = 120;

    private ForkedJvm(Jdk jdk) {
        this.jdk = jdk;
    }

    public static ForkedJvm on(Jdk jdk) {
        return new ForkedJvm(jdk);
    }

    /** {@code -javaagent:<packaged jar>[=args]} */
    public ForkedJvm agent(String agentArgs) {
        jvmArgs.add("-javaagent:" + new File(AGENT_JAR).getAbsolutePath()
                + (agentArgs == null ? "" : "=" + agentArgs));
        return this;
    }

    public ForkedJvm jvmArgs(String... args) {
        jvmArgs.addAll(Arrays.asList(args));
        return this;
    }

    public ForkedJvm main(String mainClass, String... args) {
        this.mainClass = mainClass;
        appArgs.addAll(Arrays.asList(args));
        return this;
    }

    /** {@code java -jar <jar> args...} in place of a main class: the CLI, as operators run it. */
    public ForkedJvm jar(String jar, String... args) {
        this.jar = jar;
        appArgs.addAll(Arrays.asList(args));
        return this;
    }

    public ForkedJvm classpath(String cp) {
        this.classpath = cp;
        return this;
    }

    public ForkedJvm workDir(File dir) {
        this.workDir = dir;
        return this;
    }

    public ForkedJvm env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public ForkedJvm timeoutSeconds(long s) {
        this.timeoutSeconds = s;
        return this;
    }

    public List<String> command() {
        List<String> cmd = new ArrayList<String>();
        cmd.add(jdk.java);
        cmd.addAll(jvmArgs);
        if (jar != null) {
            cmd.add("-jar");
            cmd.add(jar);
        } else {
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add(mainClass);
        }
        cmd.addAll(appArgs);
        return cmd;
    }

    /** The process to start: command, working folder, and an environment without the user's agent settings. */
    public ProcessBuilder processBuilder() {
        ProcessBuilder pb = new ProcessBuilder(command());
        if (workDir != null) {
            pb.directory(workDir);
        }
        Map<String, String> e = pb.environment();
        e.remove("PORTRES_POLICY");
        e.remove("PORTRES_BACKEND");
        e.remove("PORTRES_ON_POLICY_ERROR");
        e.remove("JAVA_TOOL_OPTIONS");
        e.remove("_JAVA_OPTIONS");
        e.remove("JDK_JAVA_OPTIONS");
        e.putAll(env);
        return pb;
    }

    public Result run() throws IOException, InterruptedException {
        ProcessBuilder pb = processBuilder();
        Process p = pb.start();
        p.getOutputStream().close();
        Pump out = new Pump(p.getInputStream());
        Pump err = new Pump(p.getErrorStream());
        out.start();
        err.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            out.join();
            err.join();
            throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command() + "\nstdout:\n"
                    + out.text() + "\nstderr:\n" + err.text());
        }
        out.join();
        err.join();
        return new Result(command(), p.exitValue(), out.text(), err.text());
    }

    /** Exit status and output of one forked JVM. */
    public static final class Result {
        public final List<String> command;
        public final int exitCode;
        public final String stdout;
        public final String stderr;

        Result(List<String> command, int exitCode, String stdout, String stderr) {
            this.command = command;
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " of " + command + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
        }
    }

    private static final class Pump extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Pump(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            byte[] b = new byte[8192];
            try {
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (buf) {
                        buf.write(b, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }

        String text() {
            synchronized (buf) {
                return new String(buf.toByteArray(), StandardCharsets.UTF_8);
            }
        }
    }
}
