package io.portres.agent.backend.linux;

import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.ReservationBackend.NativeBind;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;

import java.io.IOException;
import java.net.BindException;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One reservation's block on Linux: its ports, the cursor that spreads successive binds over them, and which of its
 * ports this JVM handed to sockets that are still open. {@link #search} binds a socket to a free port of the block.
 *
 * <p>One port, one socket, whatever the socket's options: the kernel lets a socket with {@code SO_REUSEPORT} share a
 * port with another such socket, a UDP socket with {@code SO_REUSEADDR} (every {@code MulticastSocket}) share one
 * with another such socket, and a TCP socket with {@code SO_REUSEADDR} (every server socket) share one with a
 * socket that is bound but not listening yet. So the search
 * <ol>
 *   <li>skips the ports this JVM handed to sockets still open and bound to them (a claim, taken atomically before
 *       the bind, so two threads never try the same port at once);</li>
 *   <li>binds with {@code SO_REUSEADDR} and {@code SO_REUSEPORT} switched off (restored right after), so the kernel
 *       refuses every port that any socket holds, of this process or another, whatever that socket's options;</li>
 *   <li>only when no port is free that way, and only for a TCP socket that had {@code SO_REUSEADDR} on (a server
 *       socket), binds again with {@code SO_REUSEADDR} on a port that, by {@code /proc/net/tcp} and {@code tcp6},
 *       only connections in {@code TIME_WAIT} hold: what the kernel allows a server socket to do anyway, and what a
 *       server's own port range (an FTP server's passive ports) does. Without this a block would serve at most
 *       {@code count} connections a minute.</li>
 * </ol>
 * Failures are classified by outcome (which ports refused the bind and what the socket tables say about them), never
 * by the text of the JDK's exception, which is the C library's message in the process's locale.
 */
final class PortBlock {

    final Reservation reservation;
    final int start;
    final int count;
    final AtomicInteger cursor = new AtomicInteger();
    /** Per port of the block: the socket this JVM handed it to (or that is binding to it now), or null. */
    private final AtomicReferenceArray<Claim> claims;
    /**
     * Per port: when this JVM last found the socket it had handed the port to closed, or the application bound it
     * explicitly ({@link System#nanoTime}; 0: never). A socket table read before that may miss connections that
     * socket accepted, so it is not trusted for that port.
     */
    private final AtomicLongArray lastFreed;

    PortBlock(Reservation reservation) {
        this.reservation = reservation;
        this.start = reservation.startPort();
        this.count = reservation.count();
        this.claims = new AtomicReferenceArray<Claim>(count);
        this.lastFreed = new AtomicLongArray(count);
    }

    boolean contains(int port) {
        return port >= start && port < start + count;
    }

    /** The socket being bound, as the search sees it. */
    interface Socket {
        /** Whether the socket is still open and bound to {@code port}. */
        boolean holds(int port);

        /**
         * Switches SO_REUSEADDR and SO_REUSEPORT off for the search. Returns whether SO_REUSEADDR was on, that is
         * whether the socket may take a port that only TIME_WAIT connections hold.
         */
        boolean exclusive();

        /** SO_REUSEADDR on or off during the search; SO_REUSEPORT stays off. */
        void reuseAddress(boolean on);

        /** The options as they were before {@link #exclusive}. */
        void restore();
    }

    /**
     * The socket tables of a protocol; null when they cannot be read. A table read at or after {@code notBefore}
     * ({@link System#nanoTime}) will do: the tables cost the kernel time in proportion to every socket of the
     * namespace (thousands of TIME_WAIT lines on a busy server), so {@link CachedTables} keeps the last one.
     */
    interface Tables {
        SocketTable read(Protocol protocol, long notBefore);
    }

    /** How old a table may be at most, even for ports this JVM has not bound since (sockets of other processes). */
    static final long MAX_TABLE_AGE_NANOS = 1000000000L;

    /** A socket's hold on one port of the block; {@code bound} once its bind succeeded. */
    static final class Claim {
        final Socket socket;
        volatile boolean bound;

        Claim(Socket socket) {
            this.socket = socket;
        }
    }

    /** An explicit bind of the application to a port of the block is about to be made. */
    void explicitBind(int port) {
        lastFreed.set(port - start, System.nanoTime());
    }

    /** Whether this JVM holds the port for a socket: one binding to it now, or one bound to it and still open. */
    boolean held(int port) {
        Claim c = claims.get(port - start);
        return c != null && (!c.bound || c.socket.holds(port));
    }

    private boolean claim(int slot, Claim mine) {
        Claim c = claims.get(slot);
        if (c != null && (!c.bound || c.socket.holds(start + slot))) {
            return false;
        }
        if (!claims.compareAndSet(slot, c, mine)) {
            return false;
        }
        if (c != null) {
            lastFreed.set(slot, System.nanoTime()); // its socket closed before now
        }
        return true;
    }

    /**
     * Binds {@code socket} through {@code bind} to a port of the block, from the cursor on, and returns the port.
     *
     * @throws AssociationException "exhausted" when no port of the block can take it
     * @throws IOException the JDK's own exception when the failure is not about the block (the address cannot be
     *                     bound at all, the socket is closed)
     */
    int search(NativeBind bind, Socket socket, Protocol protocol, Tables tables) throws AssociationException,
            IOException {
        int first = cursor.getAndIncrement();
        Claim mine = new Claim(socket);
        boolean timeWaitAllowed = socket.exclusive() && protocol == Protocol.TCP;
        int held = 0;
        BitSet refused = new BitSet(count);
        BindException lastRefusal = null;
        try {
            for (int i = 0; i < count; i++) {
                int slot = Math.floorMod(first + i, count);
                if (!claim(slot, mine)) {
                    held++;
                    continue;
                }
                try {
                    bind(bind, slot, mine);
                    return start + slot;
                } catch (BindException e) {
                    refused.set(slot);
                    lastRefusal = e;
                } finally {
                    if (!mine.bound) {
                        claims.compareAndSet(slot, mine, null);
                    }
                }
            }
            long now = System.nanoTime();
            SocketTable table = refused.isEmpty() ? null : tables.read(protocol, now - MAX_TABLE_AGE_NANOS);
            if (timeWaitAllowed && table != null) {
                int port = overTimeWait(bind, socket, mine, refused, table, first);
                if (port < 0 && table.readAt - now < 0) {
                    // some port was freed after the table was read: read it anew
                    table = tables.read(protocol, now);
                    port = table == null ? -1 : overTimeWait(bind, socket, mine, refused, table, first);
                }
                if (port >= 0) {
                    return port;
                }
            }
            throw exhausted(held, refused, table, timeWaitAllowed, lastRefusal);
        } finally {
            socket.restore();
        }
    }

    private void bind(NativeBind bind, int slot, Claim mine) throws IOException {
        bind.bind(start + slot);
        mine.bound = true;
    }

    /**
     * Binds with SO_REUSEADDR on to a refused port that, by {@code table}, only TIME_WAIT connections hold, trusting
     * the table only for ports not freed since it was read. Returns the port, or -1.
     */
    private int overTimeWait(NativeBind bind, Socket socket, Claim mine, BitSet refused, SocketTable table,
                             int first) throws IOException {
        for (int i = 0; i < count; i++) {
            int slot = Math.floorMod(first + i, count);
            if (!refused.get(slot) || !table.onlyTimeWait(start + slot) || !claim(slot, mine)) {
                continue;
            }
            try {
                if (table.readAt - lastFreed.get(slot) <= 0) {
                    continue; // freed after the table was read
                }
                socket.reuseAddress(true);
                try {
                    bind(bind, slot, mine);
                    return start + slot;
                } catch (BindException e) {
                    // a TIME_WAIT connection of a socket that had SO_REUSEADDR off, or a new socket
                } finally {
                    socket.reuseAddress(false);
                }
            } finally {
                if (!mine.bound) {
                    claims.compareAndSet(slot, mine, null);
                }
            }
        }
        return -1;
    }

    private AssociationException exhausted(int held, BitSet refused, SocketTable table, boolean timeWaitAllowed,
                                           BindException lastRefusal) throws BindException {
        int inUse = held;
        int timeWait = 0;
        int unexplained = 0;
        for (int slot = refused.nextSetBit(0); slot >= 0; slot = refused.nextSetBit(slot + 1)) {
            int port = start + slot;
            if (table == null || table.inUse(port)) {
                inUse++;
            } else if (table.timeWait(port)) {
                timeWait++;
            } else {
                unexplained++;
            }
        }
        if (inUse == 0 && timeWait == 0 && lastRefusal != null) {
            // no socket holds any port of the block, and still every bind was refused: the address, not the block
            throw lastRefusal;
        }
        String detail;
        if (timeWait == 0 && unexplained == 0) {
            detail = "all " + count + " ports of " + reservation.describe() + " are in use";
        } else {
            StringBuilder sb = new StringBuilder("all " + count + " ports of " + reservation.describe()
                    + " are taken: " + inUse + " in use");
            if (timeWait > 0) {
                sb.append(", ").append(timeWait).append(" held by connections in TIME_WAIT (closed less than a"
                        + " minute ago; ").append(timeWaitAllowed ? "the sockets they came from had SO_REUSEADDR"
                        + " off, so no socket may take their ports yet)" : "this socket has SO_REUSEADDR off, so it"
                        + " may not take their ports; a server socket may)");
            }
            if (unexplained > 0) {
                sb.append(", ").append(unexplained).append(" refused with no socket listed on them (")
                        .append(lastRefusal == null ? "" : lastRefusal.getMessage()).append(')');
            }
            detail = sb.toString();
        }
        return new AssociationException("exhausted", "the reservation is exhausted: " + detail + "; enlarge the"
                + " block (count) or free ports");
    }
}
