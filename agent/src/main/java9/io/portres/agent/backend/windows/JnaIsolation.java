package io.portres.agent.backend.windows;

import io.portres.agent.hook.BridgeInstaller;
import io.portres.agent.jdk.JdkVersion;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads the agent's private JNA and the bindings apart from the application (JDK 9+ version, multi-release jar).
 *
 * <p>JNA and the bindings form one automatic module, {@code io.portres.jna}, in a module layer of the agent's own
 * whose classes are read straight from the agent jar ({@link JnaArchive}): an application's own JNA is never seen,
 * and on JDK 22+ that named module alone gets native access (through {@code sun.nio.ch.PortresNativeAccess}, defined in
 * {@code java.base}), so JDK 24+ prints no "restricted method" warning when JNA loads its native library. The
 * application's native-access settings, and those of every unnamed module, stay as they were.
 */
final class JnaIsolation {

    private static final String HELPER = "sun.nio.ch.PortresNativeAccess";
    private static volatile String nativeAccess = "";

    private JnaIsolation() {
    }

    static String how() {
        return "module " + JnaArchive.MODULE + " in a layer of its own" + nativeAccess;
    }

    static WinApi load(String libraryOverride) throws Exception {
        final JnaArchive archive = JnaArchive.of(JnaIsolation.class);
        ModuleDescriptor descriptor = ModuleDescriptor.newAutomaticModule(JnaArchive.MODULE)
                .packages(new HashSet<String>(Arrays.asList(JnaArchive.PACKAGES))).build();
        final ModuleReference reference = new ModuleReference(descriptor, archive.location()) {
            @Override
            public ModuleReader open() {
                return new ArchiveReader(archive);
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String name) {
                return JnaArchive.MODULE.equals(name) ? Optional.of(reference) : Optional.<ModuleReference>empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Collections.singleton(reference);
            }
        };
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolve(finder, ModuleFinder.of(),
                Collections.singleton(JnaArchive.MODULE));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, JnaIsolation.class.getClassLoader());
        Module module = layer.findModule(JnaArchive.MODULE).get();
        if (JdkVersion.FEATURE >= 22) {
            nativeAccess = enableNativeAccess(module);
        }
        return JnaArchive.instantiate(layer.findLoader(JnaArchive.MODULE), libraryOverride);
    }

    /** Returns a note for the self-check: empty when native access is on, else why not. */
    private static String enableNativeAccess(Module module) {
        try {
            helper().getMethod("enable", Object.class).invoke(null, module);
            return ", native access enabled";
        } catch (Throwable t) {
            Throwable cause = t instanceof java.lang.reflect.InvocationTargetException ? t.getCause() : t;
            return ", native access NOT enabled (" + cause + "; JDK 24+ may print a restricted-method warning)";
        }
    }

    /**
     * The bridge module's {@code sun.nio.ch.PortresNativeAccess}, defined in {@code java.base} as the bridge is:
     * {@code BridgeInstaller} opened {@code sun.nio.ch} to the agent's module at start-up.
     */
    private static Class<?> helper() throws Exception {
        return BridgeInstaller.defineInJavaBase(HELPER);
    }

    /** Reads the module's classes and resources from the agent jar. */
    private static final class ArchiveReader implements ModuleReader {
        private final JnaArchive archive;

        ArchiveReader(JnaArchive archive) {
            this.archive = archive;
        }

        @Override
        public Optional<URI> find(String name) {
            URL url = archive.url(name);
            if (url == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(url.toURI());
            } catch (URISyntaxException e) {
                return Optional.empty();
            }
        }

        @Override
        public Optional<InputStream> open(String name) throws IOException {
            return Optional.ofNullable(archive.open(name));
        }

        @Override
        public Stream<String> list() {
            return Stream.empty();
        }

        @Override
        public void close() {
        }
    }
}
