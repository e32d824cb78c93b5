package io.portres.it.support;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The JDKs forked-JVM tests run on: the JDK running the build, the Temurin 25 under /usr/lib/jvm, and whatever
 * {@code scripts/jdks.sh} provided (its {@code .cache/jdks/jdks.properties}, passed as {@code -Dportres.jdks}).
 * Says loudly, once per test JVM, which of 8, 11, 17, 21 and 25 ran and which were missing. 17 and 25 are always
 * required; 8, 11 and 21 are fetched by the script and only warned about.
 */
public final class JdkMatrix {

    public static final List<Integer> WANTED = Arrays.asList(8, 11, 17, 21, 25);
    public static final List<Integer> REQUIRED = Arrays.asList(17, 25);

    private static List<Jdk> cached;

    private JdkMatrix() {
    }

    public static synchronized List<Jdk> all() {
        if (cached == null) {
            cached = discover();
            report(cached);
        }
        return cached;
    }

    /** For parameterized tests. */
    public static List<Jdk> jdks() {
        return all();
    }

    public static Jdk current() {
        for (Jdk j : all()) {
            if (j.feature == feature(System.getProperty("java.specification.version"))) {
                return j;
            }
        }
        throw new IllegalStateException("the running JDK is not in the matrix");
    }

    public static Jdk get(int feature) {
        for (Jdk j : all()) {
            if (j.feature == feature) {
                return j;
            }
        }
        return null;
    }

    private static List<Jdk> discover() {
        Map<Integer, String> found = new TreeMap<Integer, String>();
        Map<Integer, String> homes = new TreeMap<Integer, String>();
        String file = System.getProperty("portres.jdks");
        if (file != null && new File(new File(file).getParentFile(), "jdk-homes.properties").isFile()) {
            Properties h = new Properties();
            try (InputStream in = new FileInputStream(new File(new File(file).getParentFile(),
                    "jdk-homes.properties"))) {
                h.load(in);
            } catch (Exception e) {
                throw new IllegalStateException("cannot read jdk-homes.properties", e);
            }
            for (String k : h.stringPropertyNames()) {
                homes.put(Integer.parseInt(k.trim()), h.getProperty(k).trim());
            }
        }
        if (file != null && new File(file).isFile()) {
            Properties p = new Properties();
            try (InputStream in = new FileInputStream(file)) {
                p.load(in);
            } catch (Exception e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
            for (String k : p.stringPropertyNames()) {
                String path = p.getProperty(k).trim();
                if (new File(path).canExecute()) {
                    found.put(Integer.parseInt(k.trim()), path);
                }
            }
        }
        int running = feature(System.getProperty("java.specification.version"));
        found.put(running, System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        homes.put(running, System.getProperty("java.home"));
        if (!found.containsKey(25)) {
            File[] jvms = new File("/usr/lib/jvm").listFiles();
            if (jvms != null) {
                for (File d : jvms) {
                    File java = new File(d, "bin/java");
                    if (d.getName().startsWith("temurin-25") && java.canExecute()) {
                        found.put(25, java.getPath());
                        homes.put(25, d.getPath());
                    }
                }
            }
        }
        List<Jdk> out = new ArrayList<Jdk>();
        for (Map.Entry<Integer, String> e : found.entrySet()) {
            out.add(new Jdk(e.getKey(), e.getValue(), homes.get(e.getKey())));
        }
        return out;
    }

    private static void report(List<Jdk> jdks) {
        List<Integer> have = new ArrayList<Integer>();
        for (Jdk j : jdks) {
            have.add(j.feature);
        }
        List<Integer> missing = new ArrayList<Integer>();
        for (int w : WANTED) {
            if (!have.contains(w)) {
                missing.add(w);
            }
        }
        String line = "==== portres JDK matrix: forked-JVM tests run on JDK " + have
                + (missing.isEmpty() ? "; none missing" : "; MISSING JDK " + missing
                + " (run scripts/jdks.sh to fetch 8, 11 and 21)") + " ====";
        System.err.println(line);
        System.out.println(line);
        for (int r : REQUIRED) {
            if (!have.contains(r)) {
                throw new IllegalStateException("JDK " + r + " is required for the integration tests but was not"
                        + " found (JDK 17 runs the build; Temurin 25 is expected under /usr/lib/jvm)");
            }
        }
    }

    static int feature(String spec) {
        return spec.startsWith("1.") ? Integer.parseInt(spec.substring(2)) : Integer.parseInt(spec.split("\\.")[0]);
    }
}
