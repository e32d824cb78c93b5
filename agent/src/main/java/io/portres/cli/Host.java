package io.portres.cli;

import io.portres.agent.backend.linux.LinuxBackend;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * What the commands need to know about the machine they run on: the OS, the JDK, whether the process is root, and
 * where Linux keeps its port settings. {@link #current()} is the real machine; tests make hosts of their own with a
 * temporary folder in place of {@code /proc}.
 */
final class Host {

    /** {@code linux}, {@code windows} or {@code other}. */
    final String os;
    /** {@code os.name} as the JVM reports it, for messages. */
    final String osName;
    /** {@code java.version}, for messages. */
    final String javaVersion;
    /** {@code java.specification.version}: {@code 1.8}, {@code 11}, {@code 25}... */
    final String javaSpecVersion;
    /** Where {@code ip_local_reserved_ports} and {@code ip_local_port_range} are: {@code /proc/sys/net/ipv4}. */
    final Path sysctlDir;
    /** Where the socket tables {@code tcp}, {@code tcp6}, {@code udp}, {@code udp6} are: {@code /proc/net}. */
    final Path procNet;
    /** Effective user id on Linux; -1 when it cannot be told (or not Linux). */
    final int euid;

    Host(String osName, String javaVersion, String javaSpecVersion, Path sysctlDir, Path procNet, int euid) {
        String lower = osName.toLowerCase(Locale.ROOT);
        this.os = lower.startsWith("linux") ? "linux" : lower.startsWith("windows") ? "windows" : "other";
        this.osName = osName;
        this.javaVersion = javaVersion;
        this.javaSpecVersion = javaSpecVersion;
        this.sysctlDir = sysctlDir;
        this.procNet = procNet;
        this.euid = euid;
    }

    static Host current() {
        String osName = System.getProperty("os.name", "unknown");
        return new Host(osName, System.getProperty("java.version", "unknown"),
                System.getProperty("java.specification.version", "1.8"), Paths.get("/proc/sys/net/ipv4"),
                Paths.get("/proc/net"), osName.toLowerCase(Locale.ROOT).startsWith("linux") ? linuxEuid() : -1);
    }

    boolean isLinux() {
        return "linux".equals(os);
    }

    boolean isWindows() {
        return "windows".equals(os);
    }

    /** The JDK's feature version: 8 for {@code 1.8}, 17 for {@code 17}; 0 when unreadable. */
    int javaFeature() {
        String s = javaSpecVersion.startsWith("1.") ? javaSpecVersion.substring(2) : javaSpecVersion;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The second field of {@code Uid:} in {@code /proc/self/status}, or -1. */
    private static int linuxEuid() {
        try {
            for (String line : readProc(Paths.get("/proc/self/status")).split("\n")) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // unknown
        }
        return -1;
    }

    /** Reads a /proc file to its end (see {@link LinuxBackend#readProc}). */
    static String readProc(Path file) throws IOException {
        return LinuxBackend.readProc(file);
    }
}
