package io.portres.agent.backend.windows;

import io.portres.agent.Streams;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Where the agent keeps its private JNA: inside the agent jar, under {@code META-INF/portres/jna/} (so that the
 * application class loader never sees a {@code com/sun/jna} class of ours), next to the bindings in
 * {@code io/portres/agent/backend/windows/jna/} (in the jar under {@code META-INF/portres/core/}, with the rest of the
 * agent). {@link JnaIsolation} defines both from here, apart from the
 * application. In unit tests the same layout is read from {@code target/classes}.
 */
final class JnaArchive {

    /** The module that JNA and the bindings form on JDK 9+ (an automatic module in a layer of the agent's own). */
    static final String MODULE = "io.portres.jna";
    static final String JNA_FOLDER = "META-INF/portres/jna/";
    static final String BINDINGS = "io/portres/agent/backend/windows/jna/";
    /** Where the agent jar keeps the agent's own classes, the bindings among them (io.portres.boot.CoreLoader). */
    static final String CORE_FOLDER = "META-INF/portres/core/";
    static final String IMPLEMENTATION = "io.portres.agent.backend.windows.jna.JnaWinApi";
    /** Every package of that module; PackagingIT checks the jar against this list. */
    static final String[] PACKAGES = {
        "com.sun.jna", "com.sun.jna.internal", "com.sun.jna.ptr", "com.sun.jna.win32",
        "io.portres.agent.backend.windows.jna",
    };

    private final File directory; // exploded (unit tests), or null
    private final JarFile jar;      // the agent jar, or null
    private final URI location;

    private JnaArchive(File directory, JarFile jar, URI location) {
        this.directory = directory;
        this.jar = jar;
        this.location = location;
    }

    /** The archive that holds {@code anchor}'s class file: the agent jar, or a classes folder. */
    static JnaArchive of(Class<?> anchor) throws IOException {
        try {
            URI uri = anchor.getProtectionDomain().getCodeSource().getLocation().toURI();
            File f = new File(uri);
            if (f.isDirectory()) {
                return new JnaArchive(f, null, uri);
            }
            return new JnaArchive(null, new JarFile(f, false), uri);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot locate the agent's jar: " + e, e);
        }
    }

    /**
     * The entry that holds resource {@code name} of the isolated world ({@code com/sun/jna/Native.class}), or null
     * when the name is not ours (then the parent loader answers).
     */
    static String entry(String name) {
        if (name.startsWith("com/sun/jna/")) {
            return JNA_FOLDER + name;
        }
        if (name.startsWith(BINDINGS)) {
            return name;
        }
        return null;
    }

    URI location() {
        return location;
    }

    boolean has(String name) {
        String e = entry(name);
        if (e == null) {
            return false;
        }
        return directory != null ? new File(directory, e).isFile() : jar.getJarEntry(stored(e)) != null;
    }

    /** The entry of the jar, or the file of the classes folder, that holds logical entry {@code e}. */
    private String stored(String e) {
        return jar != null && e.startsWith(BINDINGS) ? CORE_FOLDER + e : e;
    }

    /** The resource's URL (a jar: URL into the agent jar), or null. JNA extracts its native library from it. */
    URL url(String name) {
        if (!has(name)) {
            return null;
        }
        try {
            String e = entry(name);
            if (directory != null) {
                return new File(directory, e).toURI().toURL();
            }
            return new URL("jar:" + location + "!/" + stored(e));
        } catch (IOException malformed) {
            return null;
        }
    }

    InputStream open(String name) throws IOException {
        if (!has(name)) {
            return null;
        }
        String e = entry(name);
        if (directory != null) {
            return new java.io.FileInputStream(new File(directory, e));
        }
        JarEntry je = jar.getJarEntry(stored(e));
        return jar.getInputStream(je);
    }

    byte[] read(String name) throws IOException {
        InputStream in = open(name);
        if (in == null) {
            return null;
        }
        return Streams.readAll(in);
    }

    /** Creates the JNA side of {@link WinApi} in {@code loader}: loads JNA, its native library and the DLLs. */
    static WinApi instantiate(ClassLoader loader, String libraryOverride) throws Exception {
        Class<?> c = Class.forName(IMPLEMENTATION, true, loader);
        try {
            return (WinApi) c.getConstructor(String.class).newInstance(libraryOverride);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ? (Exception) cause : new Exception(cause);
        }
    }
}
