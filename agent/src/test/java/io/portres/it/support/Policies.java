package io.portres.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes policy files for forked-JVM tests. */
public final class Policies {
    private Policies() {
    }

    public static Path write(Path dir, String name, String yaml) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, yaml.getBytes(StandardCharsets.UTF_8));
        return p;
    }

    public static final String TCP_BLOCK = "{ protocol: tcp, startPort: 24000, count: 100 }";
    public static final String UDP_BLOCK = "{ protocol: udp, startPort: 25000, count: 100 }";

    /** Audit-mode policy that matches every wildcard bind of the test apps, TCP (explicit and implicit) and UDP. */
    public static String auditEveryWildcard(String extraTop) {
        return everyWildcard("mode: audit\n" + extraTop, TCP_BLOCK, UDP_BLOCK);
    }

    /** Enforce-mode policy with the rules of {@link #auditEveryWildcard} and the given reservations. */
    public static String enforceEveryWildcard(String onError, String tcpReservation, String udpReservation) {
        return everyWildcard("mode: enforce\nonError: " + onError + "\n", tcpReservation, udpReservation);
    }

    private static String everyWildcard(String top, String tcpReservation, String udpReservation) {
        return "version: 1\n"
                + top
                + "log:\n"
                + "  level: info\n"
                + "  file: portres.log\n"
                + "  events: events.jsonl\n"
                + "reservations:\n"
                + "  tcp-block: " + tcpReservation + "\n"
                + "  udp-block: " + udpReservation + "\n"
                + "rules:\n"
                + "  - name: tcp-wildcard\n"
                + "    match: { port: 0, class: \"io.portres.it.apps.**\" }\n"
                + "    reservation: tcp-block\n"
                + "    implicit: true\n"
                + "  - name: udp-wildcard\n"
                + "    match: { port: 0 }\n"
                + "    reservation: udp-block\n";
    }
}
