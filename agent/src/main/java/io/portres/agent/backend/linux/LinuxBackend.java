package io.portres.agent.backend.linux;

import io.portres.agent.Streams;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.jdk.JdkAccess;
import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.ReservationKind;

import java.io.IOException;
import java.io.FileDescriptor;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Linux: a reservation is a port block, and a matched wildcard bind is made to a free port of it. The kernel has no
 * per-socket reservation object; {@code net.ipv4.ip_local_reserved_ports} keeps other processes' ephemeral ports
 * out of the block, and this backend puts the matched sockets in.
 *
 * <ul>
 *   <li>A wildcard bind (port 0): the JDK's native bind call is made here, port after port, starting at a cursor that
 *       advances with every bind (so successive binds spread over the block), until one is free; one port, one
 *       socket, whatever the socket's options, and a server socket may take a port that only TIME_WAIT connections
 *       hold ({@link PortBlock}). A full block is an {@link AssociationException} ("exhausted"): {@code onError}
 *       decides.</li>
 *   <li>A bind to a specific port goes through unchanged (with a warning, once, when it is outside the block).</li>
 *   <li>An unbound TCP socket about to connect ({@code implicit: true}) is first bound to a free port of the block,
 *       in its own address family.</li>
 * </ul>
 * Works whether or not the block is in {@code ip_local_reserved_ports} (explicit binds to reserved ports are
 * allowed); without it, other processes' ephemeral ports may occupy some of the block, which only makes the search
 * longer. With {@code create: true} the block is added to that list under a lock ({@link ReservedPortsUpdate}).
 */
public final class LinuxBackend implements ReservationBackend {

    static final Path RESERVED_PORTS = Paths.get("/proc/sys/net/ipv4/ip_local_reserved_ports");
    static final Path EPHEMERAL_RANGE = Paths.get("/proc/sys/net/ipv4/ip_local_port_range");
    private final Map<Reservation, PortBlock> blocks = new IdentityHashMap<Reservation, PortBlock>();
    private volatile AgentLog log;

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
            blocks.put(r, new PortBlock(r));
            int lo = r.startPort();
            int hi = r.endPort();
            if (reserved != null && reserved.covers(lo, hi)) {
                log.info("  linux: reservation '" + r.name() + "' (" + r.describe() + ") is in"
                        + " net.ipv4.ip_local_reserved_ports");
                continue;
            }
            if (reserved != null && r.create()) {
                String failure;
                try {
                    reserved = add(lo, hi, log);
                    if (reserved.covers(lo, hi)) {
                        log.info("  linux: added reservation '" + r.name() + "' (" + r.describe() + ") to"
                                + " net.ipv4.ip_local_reserved_ports (create: true)");
                        continue;
                    }
                    failure = "another writer replaced the list right after (it reads " + reserved + ")";
                } catch (IOException | SecurityException e) {
                    failure = e + "; it needs root in this network namespace";
                }
                log.warn("reservation '" + r.name() + "' (" + r.describe() + "): create: true could not add it"
                        + " to net.ipv4.ip_local_reserved_ports (" + failure + "); add it with: sysctl -w"
                        + " net.ipv4.ip_local_reserved_ports=" + wanted);
                continue;
            }
            if (!PortRanges.atRisk(false, ephemeral, lo, hi)) {
                log.info("  linux: reservation '" + r.name() + "' (" + r.describe() + ") lies outside the"
                        + " ephemeral range " + ephemeral[0] + "-" + ephemeral[1] + ": no other process's ephemeral"
                        + " port lands there, so it needs no entry in net.ipv4.ip_local_reserved_ports");
                continue;
            }
            log.warn("reservation '" + r.name() + "' (" + r.describe() + ") is not in"
                    + " net.ipv4.ip_local_reserved_ports" + (ephemeral != null ? ", and it overlaps the ephemeral"
                    + " range " + ephemeral[0] + "-" + ephemeral[1] : ", and the ephemeral range is unknown")
                    + ": other processes' ephemeral ports may land in it; reserve it with: sysctl -w"
                    + " net.ipv4.ip_local_reserved_ports=" + wanted + " (or set create: true and run as root)");
        }
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        PortBlock b = blocks.get(attempt.reservation());
        if (b == null) {
            return attempt.port();
        }
        if (attempt.implicit()) {
            bindBeforeConnect(attempt, b);
            return attempt.port();
        }
        if (attempt.port() != 0) {
            if (b.contains(attempt.port())) {
                b.explicitBind(attempt.port());
            } else if (log != null) {
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
        PortBlock b = blocks.get(attempt.reservation());
        if (b == null) {
            nativeBind.bind(attempt.port());
            return;
        }
        b.search(nativeBind, new FdSocket(attempt.fd()), attempt.protocol(), TABLES); // the dispatcher reads the port back
    }

    /** An unbound TCP socket about to connect: bind it to a free port of the block, keeping its family. */
    private void bindBeforeConnect(final BindAttempt attempt, PortBlock b) throws AssociationException {
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
            b.search(new NativeBind() {
                @Override
                public void bind(int port) throws IOException {
                    JdkAccess.bind0(attempt.fd(), v6, false, wildcard, port);
                }
            }, new FdSocket(attempt.fd()), Protocol.TCP, TABLES);
        } catch (IOException other) {
            throw new AssociationException("bind-before-connect", "binding the socket in the block before"
                    + " connect failed: " + other);
        }
    }

    /** The socket tables under /proc/net, the last one kept. */
    static final PortBlock.Tables TABLES = new CachedTables(new PortBlock.Tables() {
        @Override
        public SocketTable read(Protocol protocol, long notBefore) {
            try {
                return SocketTable.read(SocketTable.PROC_NET, protocol);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    });

    /**
     * The socket being bound, through its FileDescriptor: held weakly (a socket dropped without close is no longer
     * holding its port once collected), its options through {@code getsockopt}/{@code setsockopt}.
     */
    static final class FdSocket implements PortBlock.Socket {
        private static final int SO_REUSEADDR = 2;
        private static final int SO_REUSEPORT = 15;
        private final WeakReference<FileDescriptor> fd;
        private int reuseAddress = -1;
        private int reusePort = -1;

        FdSocket(FileDescriptor fd) {
            this.fd = new WeakReference<FileDescriptor>(fd);
        }

        @Override
        public boolean holds(int port) {
            FileDescriptor f = fd.get();
            // closed: the JDK sets the fd to -1 (or, JDK 8 channels, getsockname fails on the stale number)
            return f != null && JdkAccess.handle(f) >= 0 && JdkAccess.localPort(f) == port;
        }

        @Override
        public boolean exclusive() {
            FileDescriptor f = fd.get();
            if (f == null) {
                return false;
            }
            reuseAddress = JdkAccess.linuxSocketOption(f, SO_REUSEADDR);
            reusePort = JdkAccess.linuxSocketOption(f, SO_REUSEPORT);
            if (reuseAddress > 0) {
                JdkAccess.linuxSetSocketOption(f, SO_REUSEADDR, 0);
            }
            if (reusePort > 0) {
                JdkAccess.linuxSetSocketOption(f, SO_REUSEPORT, 0);
            }
            return reuseAddress > 0;
        }

        @Override
        public void reuseAddress(boolean on) {
            FileDescriptor f = fd.get();
            if (f != null) {
                JdkAccess.linuxSetSocketOption(f, SO_REUSEADDR, on ? 1 : 0);
            }
        }

        @Override
        public void restore() {
            FileDescriptor f = fd.get();
            if (f == null) {
                return;
            }
            if (reuseAddress >= 0) {
                JdkAccess.linuxSetSocketOption(f, SO_REUSEADDR, reuseAddress);
            }
            if (reusePort > 0) {
                JdkAccess.linuxSetSocketOption(f, SO_REUSEPORT, reusePort);
            }
        }
    }

    /** Adds {@code lo..hi} to net.ipv4.ip_local_reserved_ports under the lock; returns the list as read back. */
    static PortRanges add(final int lo, final int hi, final AgentLog log) throws IOException {
        return ReservedPortsUpdate.apply(RESERVED_PORTS, new ReservedPortsUpdate.Change() {
            @Override
            public PortRanges apply(PortRanges now) {
                return now.with(lo, hi);
            }
        }, new Runnable() {
            @Override
            public void run() {
                log.info("  linux: waiting for " + ReservedPortsUpdate.LOCK_FILE + ": another process is changing"
                        + " net.ipv4.ip_local_reserved_ports");
            }
        });
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
