package io.portres.agent.backend.linux;

import io.portres.agent.Streams;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.hook.JdkAccess;
import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.ReservationKind;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Linux: a reservation is a port block, and a matched wildcard bind is made to a free port of it. The kernel has no
 * per-socket reservation object; {@code net.ipv4.ip_local_reserved_ports} keeps other processes' ephemeral ports
 * out of the block, and this backend puts the matched sockets in.
 *
 * <ul>
 *   <li>A wildcard bind (port 0): the JDK's native bind call is made here, port after port, starting at a cursor that
 *       advances with every bind (so successive binds spread over the block), until one is free. A full block is an
 *       {@link AssociationException} ("exhausted"): {@code onError} decides.</li>
 *   <li>A bind to a specific port goes through unchanged (with a warning, once, when it is outside the block).</li>
 *   <li>An unbound TCP socket about to connect ({@code implicit: true}) is first bound to a free port of the block,
 *       in its own address family.</li>
 * </ul>
 * Works whether or not the block is in {@code ip_local_reserved_ports} (explicit binds to reserved ports are
 * allowed); without it, other processes' ephemeral ports may occupy some of the block, which only makes the search
 * longer.
 */
public final class LinuxBackend implements ReservationBackend {

    static final Path RESERVED_PORTS = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");
    static final Path EPHEMERAL_RANGE = Paths.get("/proc/sys/net/ipv4/ip_local_port_range");
    private final Map<Reservation, Block> blocks = new IdentityHashMap<Reservation, Block>();
    private volatile AgentLog log;

    /** One reservation's ports and the search state. */
    static final class Block {
        final Reservation reservation;
        final int start;
        final int count;
        final AtomicInteger cursor = new AtomicInteger();

        Block(Reservation reservation) {
            this.reservation = reservation;
            this.start = reservation.startPort();
            this.count = reservation.count();
        }

        boolean contains(int port) {
            return port >= start && port < start + count;
        }
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public void start(Policy policy, AgentLog log) {
        this.log = log;
        PortRanges reserved = read(RESERVED_PORTS);
        int[] ephemeral = ephemeralRange();
        // The sysctl sets the whole list: the fix-it line reserves every fixed block of the policy at once, keeping
        // the entries already there (one line per block would undo the one before).
        PortRanges wanted = reserved == null ? PortRanges.EMPTY : reserved;
        for (Reservation r : policy.reservations()) {
            if (r.startPort() > 0) {
                wanted = wanted.with(r.startPort(), r.endPort());
            }
        }
        for (Reservation r : policy.reservations()) {
            if (r.kind() == ReservationKind.RUNTIME && r.startPort() == 0) {
                log.warn("reservation '" + r.name() + "' (" + r.describe() + ") names no startPort: on Linux a"
                        + " block needs fixed ports, so binds through it are not confined; give it a startPort");
                continue;
            }
            blocks.put(r, new Block(r));
            int lo = r.startPort();
            int hi = r.endPort();
            if (reserved != null && reserved.covers(lo, hi)) {
                log.info("  linux: reservation '" + r.name() + "' (" + r.describe() + ") is in"
                        + " net.ipv4.ip_local_reserved_ports");
                continue;
            }
            if (reserved != null && r.create()) {
                PortRanges merged = reserved.with(lo, hi);
                try {
                    Files.write(RESERVED_PORTS, merged.toString().getBytes(StandardCharsets.US_ASCII));
                    reserved = merged;
                    log.info("  linux: added reservation '" + r.name() + "' (" + r.describe() + ") to"
                            + " net.ipv4.ip_local_reserved_ports (create: true)");
                    continue;
                } catch (IOException | SecurityException e) {
                    log.warn("reservation '" + r.name() + "' (" + r.describe() + "): create: true could not add it"
                            + " to net.ipv4.ip_local_reserved_ports (" + e + "; it needs root in this network"
                            + " namespace); add it with: sysctl -w net.ipv4.ip_local_reserved_ports=" + wanted);
                    continue;
                }
            }
            boolean overlapsEphemeral = ephemeral != null && lo <= ephemeral[1] && hi >= ephemeral[0];
            log.warn("reservation '" + r.name() + "' (" + r.describe() + ") is not in"
                    + " net.ipv4.ip_local_reserved_ports" + (overlapsEphemeral ? ", and it overlaps the ephemeral"
                    + " range " + ephemeral[0] + "-" + ephemeral[1] + ": other processes' ephemeral ports may land"
                    + " in it" : "") + "; reserve it with: sysctl -w net.ipv4.ip_local_reserved_ports="
                    + wanted + " (or set create: true and run as root)");
        }
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        Block b = blocks.get(attempt.reservation());
        if (b == null) {
            return attempt.port();
        }
        if (attempt.implicit()) {
            bindBeforeConnect(attempt, b);
            return attempt.port();
        }
        if (attempt.port() != 0) {
            if (!b.contains(attempt.port()) && log != null) {
                log.warnOnce("outside:" + attempt.rule().name() + ":" + attempt.port(), "rule '"
                        + attempt.rule().name() + "': a bind to port " + attempt.port() + " is outside reservation '"
                        + b.reservation.name() + "' (" + b.reservation.describe() + "); it goes through unchanged");
            }
            return attempt.port();
        }
        return BIND_IN_RESERVATION;
    }

    @Override
    public void bindInReservation(BindAttempt attempt, final NativeBind nativeBind) throws AssociationException,
            IOException {
        Block b = blocks.get(attempt.reservation());
        if (b == null) {
            nativeBind.bind(attempt.port());
            return;
        }
        Boolean reuse = attempt.protocol() == Protocol.TCP ? JdkAccess.linuxReuseAddress(attempt.fd()) : null;
        search(b, nativeBind, Boolean.TRUE.equals(reuse) ? attempt.fd() : null);
    }

    /** An unbound TCP socket about to connect: bind it to a free port of the block, keeping its family. */
    private void bindBeforeConnect(final BindAttempt attempt, Block b) throws AssociationException {
        int domain = JdkAccess.linuxSocketDomain(attempt.fd());
        final boolean v6 = domain == 10;
        if (domain != 2 && !v6) {
            return; // not an IP socket we can read: leave it to the kernel
        }
        final InetAddress wildcard;
        try {
            wildcard = InetAddress.getByAddress(v6 ? new byte[16] : new byte[4]);
        } catch (IOException impossible) {
            return;
        }
        try {
            search(b, new NativeBind() {
                @Override
                public void bind(int port) throws IOException {
                    JdkAccess.bind0(attempt.fd(), v6, false, wildcard, port);
                }
            }, null);
        } catch (IOException other) {
            throw new AssociationException("bind-before-connect", "binding the socket in the block before"
                    + " connect failed: " + other);
        }
    }

    /**
     * Tries the block's ports from the cursor on and returns the one bound.
     *
     * <p>Hazard: a TCP socket with SO_REUSEADDR (every ServerSocket on Linux) can be bound to a port that another such
     * socket holds but does not listen on yet; the second listen then fails, outside this search. So the search binds
     * with SO_REUSEADDR switched off ({@code reuseFd}, restored right after): two sockets can never share a port of
     * the block. The price: a port whose old connections are still in TIME_WAIT (up to a minute after a server
     * closed them) counts as in use, and the search moves on to the next one.
     */
    static int search(Block b, NativeBind bind, java.io.FileDescriptor reuseFd) throws AssociationException,
            IOException {
        int first = b.cursor.getAndIncrement();
        IOException otherFailure = null;
        int inUse = 0;
        boolean exclusive = reuseFd != null && JdkAccess.linuxSetReuseAddress(reuseFd, false);
        try {
            for (int i = 0; i < b.count; i++) {
                int port = b.start + Math.floorMod(first + i, b.count);
                try {
                    bind.bind(port);
                    return port;
                } catch (BindException e) {
                    if (isInUse(e)) {
                        inUse++;
                    } else {
                        otherFailure = e;
                    }
                }
            }
        } finally {
            if (exclusive) {
                JdkAccess.linuxSetReuseAddress(reuseFd, true);
            }
        }
        if (otherFailure != null && inUse == 0) {
            throw otherFailure; // not about the block (a bad address, a closed socket): the JDK's own error
        }
        throw new AssociationException("exhausted", "the reservation is exhausted: all " + b.count + " ports of "
                + b.reservation.describe() + " are in use" + (otherFailure == null ? ""
                : " or failed to bind (" + otherFailure.getMessage() + ")") + "; enlarge the block (count) or"
                + " free ports");
    }

    private static boolean isInUse(BindException e) {
        String m = e.getMessage();
        return m == null || m.contains("in use") || m.contains("EADDRINUSE");
    }

    @Override
    public String tokenOf(Reservation reservation) {
        return null; // Linux has no reservation tokens
    }

    @Override
    public String explainBindFailure(BindAttempt attempt, Throwable failure) {
        return null;
    }

    @Override
    public void stop() {
    }

    static PortRanges read(Path file) {
        try {
            return PortRanges.parse(readProc(file));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static int[] ephemeralRange() {
        try {
            String[] f = readProc(EPHEMERAL_RANGE).trim().split("\\s+");
            return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Reads a /proc file to its end ({@link Streams#readAll}: not {@code Files.readAllBytes}, see there). */
    public static String readProc(Path file) throws IOException {
        return new String(Streams.readAll(new java.io.FileInputStream(file.toFile())), StandardCharsets.US_ASCII);
    }
}
