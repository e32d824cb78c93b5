package io.portres.cli;

import io.portres.agent.backend.linux.PortRanges;
import io.portres.agent.backend.linux.ReservedPortsUpdate;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code net.ipv4.ip_local_reserved_ports} of this process's network namespace (TCP and UDP alike, no owners). */
final class LinuxReservations implements OsReservations {

    private final Host host;
    private final LinuxPorts ports;

    LinuxReservations(Host host) {
        this.host = host;
        this.ports = new LinuxPorts(host);
    }

    @Override
    public String os() {
        return "linux";
    }

    @Override
    public String where() {
        return LinuxPorts.RESERVED_SYSCTL + " (" + ports.reservedFile() + ")";
    }

    private PortRanges reserved() throws CliException {
        try {
            return ports.reserved();
        } catch (IOException e) {
            throw new CliException("cannot read " + LinuxPorts.RESERVED_SYSCTL + ": " + e.getMessage());
        }
    }

    @Override
    public List<Block> list(Protocol protocol) throws CliException {
        List<Block> out = new ArrayList<Block>();
        for (int[] r : reserved().ranges()) {
            out.add(new Block(null, r[0], r[1] - r[0] + 1, null, "reserved"));
        }
        return out;
    }

    /** The kernel's list has no blocks, only ports: a block "exists" when all its ports are reserved. */
    @Override
    public Block lookup(Protocol protocol, int start, int count) throws CliException {
        return reserved().covers(start, start + count - 1) ? new Block(null, start, count, null, "reserved") : null;
    }

    @Override
    public Block create(Protocol protocol, final int start, final int count) throws CliException {
        PortRanges after = write(new ReservedPortsUpdate.Change() {
            @Override
            public PortRanges apply(PortRanges now) {
                return now.with(start, start + count - 1);
            }
        }, "add " + PortRanges.range(start, start + count - 1));
        if (!after.covers(start, start + count - 1)) {
            throw new CliException("the kernel kept " + show(after) + " after adding "
                    + PortRanges.range(start, start + count - 1));
        }
        return new Block(null, start, count, null, "reserved");
    }

    @Override
    public void delete(Protocol protocol, final int start, final int count) throws CliException {
        PortRanges now = reserved();
        if (!now.overlaps(start, start + count - 1)) {
            throw new CliException(Main.FOUND_PROBLEMS, "no port of " + PortRanges.range(start, start + count - 1)
                    + " is in " + LinuxPorts.RESERVED_SYSCTL + " (now: " + show(now) + ")");
        }
        PortRanges after = write(new ReservedPortsUpdate.Change() {
            @Override
            public PortRanges apply(PortRanges current) {
                return current.without(start, start + count - 1);
            }
        }, "remove " + PortRanges.range(start, start + count - 1));
        if (after.overlaps(start, start + count - 1)) {
            throw new CliException("the kernel kept " + show(after) + " after removing "
                    + PortRanges.range(start, start + count - 1));
        }
    }

    /** Changes the list under the writers' lock; returns it as read back. */
    private PortRanges write(ReservedPortsUpdate.Change change, String what) throws CliException {
        try {
            return ports.update(change, new Runnable() {
                @Override
                public void run() {
                    System.err.println("waiting for " + ReservedPortsUpdate.LOCK_FILE + ": another process is"
                            + " changing " + LinuxPorts.RESERVED_SYSCTL);
                }
            });
        } catch (LinuxPorts.NotPermitted e) {
            throw new CliException("cannot " + what + ": changing " + LinuxPorts.RESERVED_SYSCTL + " needs root in"
                    + " this network namespace (" + e.getMessage() + "); run it as root, or: sudo sysctl -w "
                    + LinuxPorts.RESERVED_SYSCTL + "=" + change.apply(current()));
        } catch (IOException e) {
            throw new CliException("cannot " + what + ": " + e.getMessage());
        }
    }

    static String show(PortRanges r) {
        return r.isEmpty() ? "empty" : r.toString();
    }

    @Override
    public int[] dynamicRange(Protocol protocol) {
        try {
            return ports.ephemeralRange();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public Boolean privileged() {
        return host.euid < 0 ? null : host.euid == 0;
    }

    @Override
    public String createCommand(Protocol protocol, int start, int count) {
        return "sudo sysctl -w " + LinuxPorts.RESERVED_SYSCTL + "=" + current().with(start, start + count - 1);
    }

    @Override
    public String reserveCommand(Policy policy, Reservation r) {
        PortRanges merged = current();
        for (Reservation each : policy.reservations()) {
            if (each.startPort() > 0) {
                merged = merged.with(each.startPort(), each.endPort());
            }
        }
        return "sudo sysctl -w " + LinuxPorts.RESERVED_SYSCTL + "=" + merged;
    }

    /** The list now, or empty when it cannot be read (for fix-it messages only). */
    private PortRanges current() {
        try {
            return reserved();
        } catch (CliException unreadable) {
            return PortRanges.EMPTY;
        }
    }
}
