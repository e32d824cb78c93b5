package io.portres.cli;

import io.portres.agent.backend.linux.PortRanges;
import io.portres.agent.backend.linux.ReservedPortsUpdate;
import io.portres.agent.backend.linux.SocketTable;
import io.portres.policy.Protocol;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Linux's port settings of this process's network namespace: {@code net.ipv4.ip_local_reserved_ports} (one list
 * for TCP and UDP, IPv4 and IPv6; it has no owners), the ephemeral range {@code net.ipv4.ip_local_port_range}, and
 * the ports sockets hold now ({@code /proc/net/tcp}, ...: {@link SocketTable}).
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
     * Changes the list under the writers' lock ({@link ReservedPortsUpdate}: the kernel has no add or remove, a write
     * sets the whole list) and returns it as read back.
     *
     * @throws NotPermitted when the kernel refuses (not root, or root of another user namespace)
     */
    PortRanges update(ReservedPortsUpdate.Change change, Runnable onWait) throws IOException {
        Path file = reservedFile();
        try {
            return ReservedPortsUpdate.apply(file, change, onWait);
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
    }

    /** The sockets of this protocol in this namespace now (IPv4 and IPv6), TIME_WAIT told from the rest. */
    SocketTable sockets(Protocol protocol) throws IOException {
        return SocketTable.read(host.procNet, protocol);
    }

    /** The kernel refused to change the list. */
    static final class NotPermitted extends IOException {
        private static final long serialVersionUID = 1L;

        NotPermitted(String message) {
            super(message);
        }
    }
}
