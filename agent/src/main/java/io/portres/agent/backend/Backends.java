package io.portres.agent.backend;

import io.portres.policy.Mode;
import io.portres.policy.Policy;

import java.util.Locale;

/**
 * Picks the backend: {@code audit} whenever the policy says {@code mode: audit}; otherwise the {@code backend=}
 * switch (agent argument, {@code -Dportres.backend}, {@code PORTRES_BACKEND}) if given, else the one for this OS.
 * Backends are found by class name so that a backend's dependencies (JNA for Windows) load only when chosen.
 */
public final class Backends {

    /** Switch values and their classes. "auto" means: by OS. */
    static final String[][] KNOWN = {
        {"audit", "io.portres.agent.backend.AuditBackend"},
        {"reject", "io.portres.agent.backend.RejectBackend"},
        {"windows", "io.portres.agent.backend.windows.WindowsBackend"},
        {"linux", "io.portres.agent.backend.linux.LinuxBackend"},
    };

    private Backends() {
    }

    /** What was chosen and, when it is not what the operator would expect, why. */
    public static final class Choice {
        public final ReservationBackend backend;
        public final String note;

        Choice(ReservationBackend backend, String note) {
            this.backend = backend;
            this.note = note;
        }
    }

    public static boolean isKnown(String name) {
        if ("auto".equals(name)) {
            return true;
        }
        for (String[] k : KNOWN) {
            if (k[0].equals(name)) {
                return true;
            }
        }
        return false;
    }

    public static String knownNames() {
        StringBuilder sb = new StringBuilder("auto");
        for (String[] k : KNOWN) {
            sb.append(", ").append(k[0]);
        }
        return sb.toString();
    }

    /**
     * Whether the Windows backend can be chosen in this JVM, now or after a reload (which may turn {@code mode:
     * audit} into enforcement): it is requested by name, or {@code auto} (the default) runs on Windows.
     */
    public static boolean mayChooseWindows(String requested, String osName) {
        String name = requested == null || requested.isEmpty() ? "auto" : requested.toLowerCase(Locale.ROOT);
        return "windows".equals(name) || "auto".equals(name) && osName.toLowerCase(Locale.ROOT).startsWith("windows");
    }

    public static Choice choose(Policy policy, String requested, String osName) {
        if (policy.mode() == Mode.AUDIT) {
            return new Choice(new AuditBackend(), null);
        }
        String name = requested == null || requested.isEmpty() ? "auto" : requested.toLowerCase(Locale.ROOT);
        if ("auto".equals(name)) {
            String os = osName.toLowerCase(Locale.ROOT);
            name = os.startsWith("windows") ? "windows" : os.startsWith("linux") ? "linux" : null;
            if (name == null) {
                return new Choice(new AuditBackend(), "no reservation backend for " + osName
                        + "; decisions are recorded only (as in mode: audit)");
            }
        }
        for (String[] k : KNOWN) {
            if (k[0].equals(name)) {
                try {
                    return new Choice((ReservationBackend) Class.forName(k[1]).newInstance(), null);
                } catch (ClassNotFoundException notBuiltYet) {
                    return new Choice(new AuditBackend(), "the " + name + " backend is not part of this build;"
                            + " decisions are recorded only (as in mode: audit)");
                } catch (Throwable t) {
                    return new Choice(new AuditBackend(), "the " + name + " backend failed to load (" + t
                            + "); decisions are recorded only (as in mode: audit)");
                }
            }
        }
        return new Choice(new AuditBackend(), "unknown backend '" + requested + "' (known: " + knownNames()
                + "); decisions are recorded only");
    }
}
