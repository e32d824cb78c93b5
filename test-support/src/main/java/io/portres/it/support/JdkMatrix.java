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
 * Says loudly, once per test JVM, which of 8, 11, 17, 21, 25, 26 and 27 ran and which were missing, and whether the
 * early-access JDK (28) of the smoke test is there. 17 and 25 are always required; the others are fetched by the
 * script and only warned about. Early-access JDKs are never part of {@link #all()}: only the smoke test runs on
 * them ({@link #earlyAccess()}), and it reports a failure loudly without failing the build.
 */
public final class JdkMatrix {

    public static final List<Integer> WANTED = Arrays.asList(8, 11, 17, 21, 25, 26, 27);
    public static final List<Integer> REQUIRED = Arrays.asList(17, 25);
    /** Early-access JDKs: a smoke test only. */
    public static final List<Integer> EARLY_ACCESS = Arrays.asList(28);

    private static List<Jdk> cached;
    private static List<Jdk> earlyAccess;

    private JdkMatrix() {
    }

    /** The matrix: every JDK found except the early-access ones. */
    public static synchronized List<Jdk> all() {
        if (cached == null) {
            List<Jdk> found = discover();
            cached = new ArrayList<Jdk>();
            earlyAccess = new ArrayList<Jdk>();
            for (Jdk j : found) {
                (EARLY_ACCESS.contains(j.feature) ? earlyAccess : cached).add(j);
            }
            report(cached, earlyAccess);
        }
        return cached;
    }

    /** The early-access JDKs found (for the smoke test); empty when scripts/jdks.sh could not provide them. */
    public static synchronized List<Jdk> earlyAccess() {
        all();
        return earlyAccess;
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

    private static void report(List<Jdk> jdks, List<Jdk> early) {
        List<Integer> have = features(jdks);
        List<Integer> missing = new ArrayList<Integer>();
        for (int w : WANTED) {
            if (!have.contains(w)) {
                missing.add(w);
            }
        }
        List<Integer> earlyHave = features(early);
        List<Integer> earlyMissing = new ArrayList<Integer>(EARLY_ACCESS);
        earlyMissing.removeAll(earlyHave);
        String line = "==== portres JDK matrix: forked-JVM tests run on JDK " + have
                + (missing.isEmpty() ? "; none missing" : "; MISSING JDK " + missing
                + " (run scripts/jdks.sh to fetch 8, 11, 21, 26 and 27)")
                + (earlyMissing.isEmpty() ? "; early-access smoke test on JDK " + earlyHave
                : "; MISSING early-access JDK " + earlyMissing + " (smoke test not run)") + " ====";
        System.err.println(line);
        System.out.println(line);
        for (int r : REQUIRED) {
            if (!have.contains(r)) {
                throw new IllegalStateException("JDK " + r + " is required for the integration tests but was not"
                        + " found (JDK 17 runs the build; Temurin 25 is expected under /usr/lib/jvm)");
            }
        }
    }

    private static List<Integer> features(List<Jdk> jdks) {
        List<Integer> out = new ArrayList<Integer>();
        for (Jdk j : jdks) {
            out.add(j.feature);
        }
        return out;
    }

    static int feature(String spec) {
        return spec.startsWith("1.") ? Integer.parseInt(spec.substring(2)) : Integer.parseInt(spec.split("\\.")[0]);
    }
}
