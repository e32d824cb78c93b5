package io.portres.boot;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FilePermission;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.security.AccessController;
import java.security.CodeSource;
import java.security.Permission;
import java.security.PermissionCollection;
import java.security.Permissions;
import java.security.PrivilegedExceptionAction;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

/**
 * The agent's own class loader: it defines every {@code io.portres} class but the two of this package from
 * {@code META-INF/portres/core/} of the agent jar, where the application class loader never looks (only class files
 * at a jar's root are classes to it). Its parent is the platform loader (the bootstrap loader on JDK 8), so the
 * agent sees the JDK and nothing of the application's class path.
 *
 * <p>The core folder is laid out as a multi-release jar root: on JDK 9+ {@code META-INF/versions/9/} in it wins.
 * Classes are defined with the agent jar's code source, so that a SecurityManager policy granting the agent jar
 * (its {@code codeBase}) permissions grants them to the agent.
 */
final class CoreLoader extends ClassLoader {

    static final String CORE = "META-INF/portres/core/";
    private static final String AGENT_RESOURCES = "META-INF/portres/";
    private static final String VERSIONED = CORE + "META-INF/versions/9/";
    private static final boolean JDK9 = !System.getProperty("java.specification.version", "1.8").startsWith("1.");

    static {
        registerAsParallelCapable();
    }

    private final JarFile jar;
    private final URL jarUrl;
    private final String jarUri;
    private final ProtectionDomain domain;
    private final Manifest manifest;

    private CoreLoader(ClassLoader parent, File jarFile) throws IOException {
        super(parent);
        this.jar = new JarFile(jarFile, false);
        this.jarUrl = jarFile.toURI().toURL();
        this.jarUri = jarFile.toURI().toString();
        // What the application class loader gives code of the class path, besides what the policy grants: exitVM
        // (onPolicyError=fail stops the JVM) and reading its own jar.
        this.domain = new ProtectionDomain(new CodeSource(jarUrl, (Certificate[]) null),
                new OwnPermissions(jarFile.getPath()), this, null);
        this.manifest = jar.getManifest();
    }

    /**
     * A core loader for the jar that holds {@code anchor}. Deliberately not kept in a field: a field of this class
     * would be within the application's reach (this class is in the application loader's unnamed module, where deep
     * reflection is allowed). A second install in the same JVM gets a loader of its own, whose installer finds the
     * bridge already in {@code java.base} and stands down with a warning.
     */
    static ClassLoader forJarOf(final Class<?> anchor) throws Exception {
        return AccessController.doPrivileged(new PrivilegedExceptionAction<CoreLoader>() {
            @Override
            public CoreLoader run() throws Exception {
                URI location = anchor.getProtectionDomain().getCodeSource().getLocation().toURI();
                return new CoreLoader(platformLoader(), new File(location));
            }
        });
    }

    /**
     * JDK 9+: the platform loader; JDK 8: null, the bootstrap loader (not the extension loader's jre/lib/ext).
     *
     * <p>Found as the last loader before the bootstrap loader in the chain of the loader that loaded the trampoline
     * (the application loader, or a custom system loader whose chain ends in it): the platform loader on 9+. Not
     * through {@code ClassLoader.class.getMethod("getPlatformClassLoader").invoke(null)} (this class is Java 8
     * bytecode): a reflective call of a caller-sensitive method makes JDK 17 parse the method's annotations and spin an
     * annotation proxy, 14 ms of start-up (6 ms on JDK 25; BENCHMARKS.md).
     */
    private static ClassLoader platformLoader() {
        if (!JDK9) {
            return null;
        }
        ClassLoader loader = CoreLoader.class.getClassLoader();
        while (loader != null && loader.getParent() != null) {
            loader = loader.getParent();
        }
        return loader;
    }

    /**
     * {@code exitVM} and reading the agent's jar, built at the first question. Only a SecurityManager ever asks, and
     * most JVMs have none: a {@code FilePermission} built in {@code premain} costs 3 ms of start-up on JDK 17 and
     * 9-15 ms on JDK 25 (its first use spins a type switch; BENCHMARKS.md). Read-only, as every domain's are.
     */
    private static final class OwnPermissions extends PermissionCollection {
        private static final long serialVersionUID = 1L;
        private final String jarPath;
        private transient volatile Permissions built;

        OwnPermissions(String jarPath) {
            this.jarPath = jarPath;
            setReadOnly();
        }

        private Permissions permissions() {
            Permissions p = built;
            if (p == null) {
                p = new Permissions();
                p.add(new RuntimePermission("exitVM"));
                p.add(new FilePermission(jarPath, "read"));
                p.setReadOnly();
                built = p;
            }
            return p;
        }

        @Override
        public void add(Permission permission) {
            throw new SecurityException("the agent's permissions are read-only");
        }

        @Override
        public boolean implies(Permission permission) {
            return permissions().implies(permission);
        }

        @Override
        public Enumeration<Permission> elements() {
            return permissions().elements();
        }
    }

    /** Ours first for {@code io.portres}: the application may carry a different portres on its class path. */
    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith("io.portres.")) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = findClass(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        String path = name.replace('.', '/') + ".class";
        ZipEntry entry = entry(path);
        if (entry == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try {
            bytes = read(entry);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        definePackageOf(name);
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    private void definePackageOf(String className) {
        int dot = className.lastIndexOf('.');
        if (dot <= 0) {
            return;
        }
        String pkg = className.substring(0, dot);
        if (getPackage(pkg) != null) {
            return;
        }
        Attributes a = manifest == null ? new Attributes() : manifest.getMainAttributes();
        try {
            definePackage(pkg, null, null, null, a.getValue(Attributes.Name.IMPLEMENTATION_TITLE),
                    a.getValue(Attributes.Name.IMPLEMENTATION_VERSION), null, null);
        } catch (IllegalArgumentException definedMeanwhile) {
            // another thread defined it
        }
    }

    /** A resource of the core ({@code io/portres/policy/policy.schema.json}), else of the jar's root. */
    @Override
    protected URL findResource(String name) {
        ZipEntry entry = entry(name);
        String path = entry != null ? entry.getName() : jar.getEntry(name) != null ? name : null;
        if (path == null) {
            return null;
        }
        try {
            return new URL("jar:" + jarUri + "!/" + path);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    /**
     * Ours first for the core's resources and the agent's own ({@code META-INF/portres/}: the bridge's class files),
     * read from the jar this loader holds open: asking the parent first makes the JDK's loaders search every module
     * of the runtime image, and opening the jar again costs its central directory (milliseconds of start-up).
     */
    @Override
    public InputStream getResourceAsStream(String name) {
        ZipEntry entry = name.startsWith(AGENT_RESOURCES) ? jar.getEntry(name) : entry(name);
        if (entry != null) {
            try {
                return jar.getInputStream(entry);
            } catch (IOException e) {
                return null;
            }
        }
        return super.getResourceAsStream(name);
    }

    private ZipEntry entry(String path) {
        ZipEntry e = JDK9 ? jar.getEntry(VERSIONED + path) : null;
        return e != null ? e : jar.getEntry(CORE + path);
    }

    private byte[] read(ZipEntry entry) throws IOException {
        InputStream in = jar.getInputStream(entry);
        try {
            long size = entry.getSize();
            ByteArrayOutputStream out = new ByteArrayOutputStream(size > 0 ? (int) size : 8192);
            byte[] buffer = new byte[size > 0 && size < 65536 ? (int) size : 8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } finally {
            in.close();
        }
    }

    @Override
    public String toString() {
        return "portres agent loader (" + jarUrl + ")";
    }
}
