package io.portres.cli;

import io.portres.agent.backend.linux.PortRanges;
import io.portres.policy.Protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Linux's port settings of this process's network namespace: {@code net.ipv4.ip_local_reserved_ports} (one list
 * for TCP and UDP, IPv4 and IPv6; it has no owners), the ephemeral range {@code net.ipv4.ip_local_port_range}, and
 * the ports sockets hold now ({@code /proc/net/tcp}, ...).
 */
final class LinuxPorts {

    static final String RESERVED_SYSCTL = "net.ipv4.ip_local_reserved_ports";
    static final String RANGE_SYSCTL = "net.ipv4.ip_local_port_range";

    private final Host host;

    LinuxPorts(Host host) {
        this.host = host;
    }

    Path reservedFile() {
        return host.sysctlDir.resolve("ip_local_reserved_ports");
    }

    PortRanges reserved() throws IOException {
        try {
            return PortRanges.parse(Host.readProc(reservedFile()));
        } catch (IllegalArgumentException e) {
            throw new IOException(reservedFile() + ": unexpected content: " + e.getMessage());
        }
    }

    /** {@code [low, high]} of the ephemeral range. */
    int[] ephemeralRange() throws IOException {
        Path file = host.sysctlDir.resolve("ip_local_port_range");
        String[] f = Host.readProc(file).trim().split("\\s+");
        try {
            return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
        } catch (RuntimeException e) {
            throw new IOException(file + ": unexpected content: " + String.join(" ", f));
        }
    }

    /**
     * Replaces the list (the kernel has no add or remove: writing sets the whole list), then reads it back.
     *
     * @throws NotPermitted when the kernel refuses (not root, or root of another user namespace)
     */
    PortRanges write(PortRanges value) throws IOException {
        Path file = reservedFile();
        // "\n" and not "": the kernel ignores a write of zero bytes, and an empty line clears the list
        byte[] text = (value + "\n").getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(text);
        } catch (AccessDeniedException e) {
            throw new NotPermitted(file + ": permission denied");
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file (is this Linux with IPv4 networking?)");
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("not permitted") || m.contains("denied")) {
                throw new NotPermitted(file + ": " + m);
            }
            throw e;
        }
        return reserved();
    }

    /** The local ports that sockets of this protocol hold now in this namespace (IPv4 and IPv6, any state). */
    BitSet portsInUse(Protocol protocol) throws IOException {
        BitSet used = new BitSet();
        String base = protocol == Protocol.TCP ? "tcp" : "udp";
        for (String name : new String[] {base, base + "6"}) {
            Path file = host.procNet.resolve(name);
            if (!Files.exists(file)) {
                continue; // no IPv6 in this kernel
            }
            String[] lines = Host.readProc(file).split("\n");
            for (int i = 1; i < lines.length; i++) { // line 0 is the heading
                String[] f = lines[i].trim().split("\\s+");
                if (f.length < 2) {
                    continue;
                }
                int colon = f[1].lastIndexOf(':'); // local_address: hex address ':' hex port
                if (colon > 0) {
                    try {
                        used.set(Integer.parseInt(f[1].substring(colon + 1), 16));
                    } catch (NumberFormatException ignored) {
                        // not a socket line
                    }
                }
            }
        }
        return used;
    }

    /** The kernel refused to change the list. */
    static final class NotPermitted extends IOException {
        private static final long serialVersionUID = 1L;

        NotPermitted(String message) {
            super(message);
        }
    }
}
