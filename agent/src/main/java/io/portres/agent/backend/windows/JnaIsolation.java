package io.portres.agent.backend.windows;

import java.io.IOException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;

/**
 * Loads the agent's private JNA and the bindings apart from the application (JDK 8 version; the JDK 9+ version in
 * {@code src/main/java9} defines a module layer instead, to give that module native access on JDK 24+).
 *
 * <p>JDK 8: a class loader whose parent is the bootstrap loader, so that an application's own (different) JNA on the
 * class path or in {@code jre/lib/ext} is never seen. It defines {@code com.sun.jna.*} and the bindings from
 * {@link JnaArchive}; the agent's own classes ({@code io.portres.*}, such as {@link WinApi}) come from the agent's
 * loader.
 */
final class JnaIsolation {

    private JnaIsolation() {
    }

    /** How the isolation is done, for the self-check line. */
    static String how() {
        return "an isolated class loader";
    }

    static WinApi load(String libraryOverride) throws Exception {
        JnaArchive archive = JnaArchive.of(JnaIsolation.class);
        return JnaArchive.instantiate(new IsolatedLoader(archive, JnaIsolation.class.getClassLoader()),
                libraryOverride);
    }

    /** Child-first for JNA and the bindings, the agent for {@code io.portres.*}, the bootstrap loader for the JDK. */
    static final class IsolatedLoader extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final JnaArchive archive;
        private final ClassLoader agent;
        private final ProtectionDomain domain;

        IsolatedLoader(JnaArchive archive, ClassLoader agent) throws IOException {
            super(null);
            this.archive = archive;
            this.agent = agent;
            this.domain = new ProtectionDomain(new CodeSource(archive.location().toURL(),
                    (java.security.cert.Certificate[]) null), null, this, null);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    String resource = name.replace('.', '/') + ".class";
                    if (JnaArchive.entry(resource) != null) {
                        c = findClass(name);
                    } else if (name.startsWith("io.portres.")) {
                        c = agent.loadClass(name);
                    } else {
                        c = super.loadClass(name, false);
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes;
            try {
                bytes = archive.read(name.replace('.', '/') + ".class");
            } catch (IOException e) {
                throw new ClassNotFoundException(name, e);
            }
            if (bytes == null) {
                throw new ClassNotFoundException(name);
            }
            int dot = name.lastIndexOf('.');
            if (dot > 0) {
                String pkg = name.substring(0, dot);
                if (getPackage(pkg) == null) {
                    try {
                        definePackage(pkg, null, null, null, null, null, null, null);
                    } catch (IllegalArgumentException racedByAnotherThread) {
                        // defined meanwhile
                    }
                }
            }
            return defineClass(name, bytes, 0, bytes.length, domain);
        }

        /** Ours first: the application's JNA must never answer for {@code com/sun/jna/<platform>/...}. */
        @Override
        public URL getResource(String name) {
            URL own = findResource(name);
            return own != null ? own : super.getResource(name);
        }

        @Override
        protected URL findResource(String name) {
            return archive.url(name);
        }
    }
}
