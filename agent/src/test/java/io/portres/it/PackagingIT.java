package io.portres.it;

import io.portres.it.apps.ConflictingLibraries;
import io.portres.it.support.Events;
import io.portres.it.support.ForkedJvm;
import io.portres.it.support.Jdk;
import io.portres.it.support.JdkMatrix;
import io.portres.it.support.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.DataInputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The shape of the packaged jar, and its coexistence with an application's own copies of the same libraries. */
class PackagingIT {

    /** Where the jar keeps everything of the agent but the trampoline (io.portres.boot.CoreLoader). */
    static final String CORE = "META-INF/portres/core/";

    static List<Jdk> jdks() {
        return JdkMatrix.jdks();
    }

    @Test
    void jarHoldsOnlyTheAgentItsRelocatedDependenciesAndTheManifest() throws Exception {
        try (JarFile jar = new JarFile(ForkedJvm.AGENT_JAR)) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertThat(main.getValue("Premain-Class")).isEqualTo("io.portres.boot.Trampoline");
            assertThat(main.getValue("Agent-Class")).isEqualTo("io.portres.boot.Trampoline");
            assertThat(main.getValue("Main-Class")).isEqualTo("io.portres.boot.Trampoline");
            assertThat(main.getValue("Can-Retransform-Classes")).isEqualTo("true");
            assertThat(main.getValue("Multi-Release")).isEqualTo("true");
            assertThat(main.getValue("Boot-Class-Path")).as("never append to the bootstrap class path").isNull();
            List<String> stray = new ArrayList<String>();
            List<String> notJava8 = new ArrayList<String>();
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                String n = e.getName();
                // JNA is not relocated (its native library is bound to its package name) and must not sit at the
                // jar root either, where the application class loader would see it: META-INF/portres/jna/
                // The agent's own classes must not sit there either: only the trampoline (io.portres.boot) does.
                boolean allowed = n.equals("io/") || n.equals("io/portres/") || n.startsWith("io/portres/boot/")
                        || n.startsWith("META-INF/");
                if (!allowed) {
                    stray.add(n);
                }
                if (n.endsWith(".class") && !n.startsWith("META-INF/versions/")
                        && !n.startsWith(CORE + "META-INF/versions/")) {
                    try (InputStream in = jar.getInputStream(e)) {
                        DataInputStream d = new DataInputStream(in);
                        d.readInt();
                        d.readUnsignedShort();
                        int major = d.readUnsignedShort();
                        if (major > 52) {
                            notJava8.add(n + " (" + major + ")");
                        }
                    }
                }
            }
            assertThat(stray).as("entries outside io/portres/boot and META-INF").isEmpty();
            assertThat(notJava8).as("classes that JDK 8 cannot load").isEmpty();
            assertThat(jar.getEntry(CORE + "io/portres/shaded/bytebuddy/jar/asm/ClassReader.class"))
                    .as("Byte Buddy's ASM, relocated").isNotNull();
            assertThat(jar.getEntry(CORE + "io/portres/shaded/bytebuddy/utility/OpenedClassReader.class")).isNotNull();
            assertThat(jar.stream().filter(e -> e.getName().startsWith(CORE + "io/portres/shaded/bytebuddy/")
                    && e.getName().endsWith(".class")
                    && !e.getName().startsWith(CORE + "io/portres/shaded/bytebuddy/jar/asm/"))
                    .count()).as("only the reader and class-file versions of Byte Buddy besides its ASM").isLessThan(20);
            assertThat(jar.getEntry(CORE + "io/portres/shaded/bytebuddy/agent/builder/AgentBuilder.class")).isNull();
            assertThat(jar.getEntry("META-INF/portres/bridge/sun/nio/ch/PortresBridge.class"))
                    .as("the bridge module, out of every class loader's sight").isNotNull();
            assertThat(jar.getEntry("META-INF/portres/bridge/sun/nio/ch/PortresDispatcher.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/portres/bridge/sun/nio/ch/PortresNativeAccess.class")).isNotNull();
            assertThat(jar.stream().filter(e -> (e.getName().startsWith("io/portres/") || e.getName().startsWith(CORE))
                    && e.getName().endsWith(".class")
                    && e.getMethod() != java.util.zip.ZipEntry.STORED))
                    .as("the agent's classes are stored uncompressed (start-up: no inflating in premain)").isEmpty();
            assertThat(jar.getEntry("io/portres/boot/Trampoline.class")).as("the trampoline, at the root").isNotNull();
            assertThat(jar.getEntry("io/portres/agent/Installer.class")).as("the agent, out of the root").isNull();
            assertThat(jar.getEntry(CORE + "io/portres/agent/Installer.class")).isNotNull();
            assertThat(jar.getEntry(CORE + "io/portres/policy/yaml/YamlReader.class")).as("the policy's own YAML reader")
                    .isNotNull();
            assertThat(jar.getEntry(CORE + "io/portres/shaded/picocli/CommandLine.class")).isNotNull();
            assertThat(jar.getEntry(CORE + "io/portres/policy/policy.schema.json")).isNotNull();
            assertThat(jar.getEntry(CORE + "META-INF/versions/9/io/portres/agent/match/StackCapture.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/portres/jna/com/sun/jna/Native.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/portres/jna/com/sun/jna/win32-x86-64/jnidispatch.dll")).isNotNull();
            assertThat(jar.getEntry("META-INF/portres/jna/com/sun/jna/win32-x86/jnidispatch.dll")).isNotNull();
            assertThat(jar.getEntry("META-INF/portres/jna/com/sun/jna/linux-x86-64/libjnidispatch.so")).isNotNull();
            assertThat(jar.getEntry(CORE + "io/portres/agent/backend/windows/jna/JnaWinApi.class")).isNotNull();
            assertThat(jar.getEntry(CORE + "META-INF/versions/9/io/portres/agent/backend/windows/JnaIsolation.class"))
                    .isNotNull();
        }
    }

    /**
     * The cheap half of the reproducible-build check ({@code scripts/reproducible.sh} is the full one): every entry
     * of the agent jar carries the fixed {@code project.build.outputTimestamp}, none the time of the build (which
     * would make two builds of the same commit differ).
     */
    @Test
    void everyEntryOfTheAgentJarHasTheFixedBuildTimestamp() throws Exception {
        String configured = System.getProperty("portres.outputTimestamp");
        assertThat(configured).as("project.build.outputTimestamp, passed by the failsafe configuration")
                .isNotNull().doesNotStartWith("${");
        long fixed = java.time.Instant.parse(configured).toEpochMilli();
        java.util.Set<Long> times = new java.util.TreeSet<Long>();
        List<String> off = new ArrayList<String>();
        try (JarFile jar = new JarFile(ForkedJvm.AGENT_JAR)) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                times.add(e.getTime());
                // a zip entry's DOS time is local time: allow the time zones' offsets, not a build's "now"
                if (Math.abs(e.getTime() - fixed) > java.util.concurrent.TimeUnit.HOURS.toMillis(14)) {
                    off.add(e.getName() + " " + new java.util.Date(e.getTime()));
                }
            }
        }
        assertThat(off).as("entries not at " + configured).isEmpty();
        assertThat(times).as("one time for every entry").hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jdks")
    void applicationWithItsOwnByteBuddySnakeYamlAndJnaKeepsWorking(Jdk jdk, @TempDir Path dir) throws Exception {
        File libs = new File(System.getProperty("portres.conflictLibs", "target/conflict-libs"));
        StringBuilder cp = new StringBuilder(ForkedJvm.TEST_CLASSES);
        File[] jars = libs.listFiles();
        assertThat(jars).as("conflict libraries in " + libs).isNotEmpty();
        for (File j : jars) {
            cp.append(File.pathSeparator).append(j.getAbsolutePath());
        }
        Path policy = Policies.write(dir, "policy.yaml", Policies.auditEveryWildcard(""));
        ForkedJvm.Result r = ForkedJvm.on(jdk).classpath(cp.toString()).agent(policy.toString())
                .workDir(dir.toFile()).main(ConflictingLibraries.class.getName()).run();
        assertThat(r.exitCode).as(r.toString()).isZero();
        for (String line : r.stderr.split("\n")) {
            // JDK 24+ warns when the application's own JNA loads its native library: not ours to silence. The
            // warning names that JNA's jar by its absolute path, which contains "portres" whenever the checkout's
            // path does: only the rest of the line must not (the agent's JNA, jar or packages).
            if (!line.isEmpty()) {
                assertThat(jdk.feature).as(r.toString()).isGreaterThanOrEqualTo(24);
                assertThat(line).as(r.toString()).startsWith("WARNING: ");
                assertThat(withoutPath(line, libs)).as(r.toString()).doesNotContain("portres");
            }
        }
        assertThat(r.stdout).contains("snakeyaml-engine-2.7.jar").contains("snakeyaml-2.2.jar")
                .contains("byte-buddy-1.14.18.jar true").contains("jna-5.13.0.jar");
        assertThat(Events.read(dir.resolve("events.jsonl"))).hasSize(1);
    }

    /** {@code line} with the application's library folder (as a path and as a URL) replaced by a placeholder. */
    static String withoutPath(String line, File folder) throws java.io.IOException {
        String out = line;
        for (File f : new File[] {folder.getAbsoluteFile(), folder.getCanonicalFile()}) {
            String uri = f.toURI().toString(); // file:/a/b/ (with the trailing slash of a directory)
            out = out.replace(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri, "<app-libs>")
                    .replace(f.getPath(), "<app-libs>");
        }
        return out;
    }
}
