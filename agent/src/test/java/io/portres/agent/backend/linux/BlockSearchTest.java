package io.portres.agent.backend.linux;

import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.ReservationBackend;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The port search of the Linux backend against a fake kernel. */
class BlockSearchTest {

    static PortBlock block(int start, int count) throws Exception {
        Reservation r = PolicyLoader.parse("version: 1\nreservations:\n  b: { protocol: tcp, startPort: " + start
                + ", count: " + count + " }\nrules: []\n", "t.yaml", null).reservation("b");
        return new PortBlock(r);
    }

    /** A socket of the fake kernel, with the two options that matter. */
    static final class FakeSocket implements PortBlock.Socket {
        final FakeKernel kernel;
        boolean reuseAddress;
        boolean reusePort;
        volatile boolean open = true;
        /** Set by the kernel's bind, as getsockname would tell. */
        volatile int port = -1;
        private boolean savedReuseAddress;
        private boolean savedReusePort;

        FakeSocket(FakeKernel kernel, boolean reuseAddress, boolean reusePort) {
            this.kernel = kernel;
            this.reuseAddress = reuseAddress;
            this.reusePort = reusePort;
        }

        int bind(PortBlock b) throws Exception {
            return bind(b, kernel);
        }

        int bind(PortBlock b, PortBlock.Tables tables) throws Exception {
            return b.search(p -> kernel.bind(this, p), this, Protocol.TCP, tables);
        }

        void close() {
            open = false;
            kernel.bound.remove(port, this);
        }

        /** Closed first by this side: its connection stays in TIME_WAIT. */
        void closeToTimeWait() {
            close();
            kernel.timeWait.add(port);
        }

        @Override
        public boolean holds(int p) {
            return open && port == p;
        }

        @Override
        public boolean exclusive() {
            savedReuseAddress = reuseAddress;
            savedReusePort = reusePort;
            reuseAddress = false;
            reusePort = false;
            return savedReuseAddress;
        }

        @Override
        public void reuseAddress(boolean on) {
            reuseAddress = on;
        }

        @Override
        public void restore() {
            reuseAddress = savedReuseAddress;
            reusePort = savedReusePort;
        }
    }

    /**
     * Linux's bind rules, reduced: a port with a bound socket refuses a socket unless both have SO_REUSEPORT or both
     * have SO_REUSEADDR (the holder not listening: here, never); TIME_WAIT refuses a socket without SO_REUSEADDR.
     * Its messages are in German, as under {@code LC_ALL=de_DE.UTF-8}.
     */
    static class FakeKernel implements PortBlock.Tables {
        final Map<Integer, FakeSocket> bound = new ConcurrentHashMap<Integer, FakeSocket>();
        final Set<Integer> timeWait = ConcurrentHashMap.newKeySet();
        final Set<Integer> timeWaitWithoutReuse = ConcurrentHashMap.newKeySet();
        final List<Integer> tried = new ArrayList<Integer>();
        String refusal = "Die Adresse wird bereits verwendet";
        int tableReads;

        synchronized void bind(FakeSocket s, int port) throws IOException {
            tried.add(port);
            FakeSocket other = bound.get(port);
            boolean shared = other != null && ((s.reusePort && other.reusePort)
                    || (s.reuseAddress && other.reuseAddress));
            boolean tw = timeWaitWithoutReuse.contains(port) || (timeWait.contains(port) && !s.reuseAddress);
            if ((other != null && !shared) || tw) {
                throw new BindException(refusal);
            }
            bound.put(port, s);
            s.port = port;
        }

        @Override
        public SocketTable read(Protocol protocol, long notBefore) {
            tableReads++;
            StringBuilder t = new StringBuilder("  sl  local_address rem_address   st\n");
            for (int p : bound.keySet()) {
                t.append(String.format("   0: 00000000:%04X 00000000:0000 0A 0\n", p));
            }
            for (int p : timeWait) {
                t.append(String.format("   1: 0100007F:%04X 0100007F:9C40 06 0\n", p));
            }
            for (int p : timeWaitWithoutReuse) {
                t.append(String.format("   1: 0100007F:%04X 0100007F:9C40 06 0\n", p));
            }
            return SocketTable.parsed(t.toString(), true);
        }
    }

    /** A kernel that lets any socket share a port (SO_REUSEADDR sockets not listening yet): only claims help. */
    static final class SharingKernel extends FakeKernel {
        @Override
        synchronized void bind(FakeSocket s, int port) {
            bound.put(port, s);
            s.port = port;
        }
    }

    /** A server socket: SO_REUSEADDR on, as the JDK opens them on Linux. */
    static FakeSocket server(FakeKernel k) {
        return new FakeSocket(k, true, false);
    }

    @Test
    void successiveBindsSpreadOverTheBlockFromACursor() throws Exception {
        PortBlock b = block(50000, 10);
        FakeKernel k = new FakeKernel();
        FakeSocket first = server(k);
        assertThat(first.bind(b)).isEqualTo(50000);
        first.close();
        assertThat(server(k).bind(b)).as("not back to the first port").isEqualTo(50001);
        assertThat(server(k).bind(b)).isEqualTo(50002);
    }

    @Test
    void takenPortsAreSkippedAndAFullBlockIsExhaustedInAnyLocale() throws Exception {
        PortBlock b = block(50000, 4);
        FakeKernel k = new FakeKernel();
        k.bound.put(50000, new FakeSocket(k, false, false)); // another process's sockets
        k.bound.put(50001, new FakeSocket(k, false, false));
        assertThat(server(k).bind(b)).isEqualTo(50002);
        assertThat(server(k).bind(b)).isEqualTo(50003);
        AssociationException x = exhausted(b, server(k));
        assertThat(x).hasMessage("the reservation is exhausted: all 4 ports of tcp 50000-50003 are in use; enlarge"
                + " the block (count) or free ports");
        assertThat(x.causeKey()).isEqualTo("exhausted");
    }

    @Test
    void aFailureThatIsNotAboutThePortIsTheJdksOwnInAnyLocale() throws Exception {
        PortBlock b = block(50000, 3);
        FakeKernel k = new FakeKernel();
        ReservationBackend.NativeBind badAddress = port -> {
            throw new BindException("Die angeforderte Adresse kann nicht zugewiesen werden");
        };
        assertThatThrownBy(() -> b.search(badAddress, server(k), Protocol.TCP, k))
                .isInstanceOf(BindException.class).hasMessage("Die angeforderte Adresse kann nicht zugewiesen werden");
    }

    @Test
    void reusePortSocketsNeverShareAPort() throws Exception {
        PortBlock b = block(50000, 1);
        FakeKernel k = new FakeKernel();
        FakeSocket first = new FakeSocket(k, true, true);
        assertThat(first.bind(b)).isEqualTo(50000);
        assertThat(first.reusePort).as("the socket's own options are restored").isTrue();
        assertThat(first.reuseAddress).isTrue();
        FakeSocket second = new FakeSocket(k, true, true);
        assertThat(exhausted(b, second)).hasMessageContaining("all 1 ports of tcp 50000 are in use");
        assertThat(second.reusePort).isTrue();
        first.close();
        assertThat(second.bind(b)).as("free again once the first socket is closed").isEqualTo(50000);
    }

    @Test
    void aPortThisJvmHandedOutIsSkippedEvenWhenTheKernelWouldShareIt() throws Exception {
        PortBlock b = block(50000, 2);
        FakeKernel k = new SharingKernel();
        FakeSocket a = server(k);
        FakeSocket c = server(k);
        assertThat(a.bind(b)).isEqualTo(50000);
        assertThat(c.bind(b)).isEqualTo(50001);
        assertThat(b.held(50000)).isTrue();
        assertThat(exhausted(b, server(k))).hasMessageContaining("are in use");
        a.close();
        assertThat(b.held(50000)).isFalse();
        assertThat(server(k).bind(b)).isEqualTo(50000);
    }

    @Test
    void freePortsComeBeforeTimeWaitPorts() throws Exception {
        PortBlock b = block(50000, 3);
        FakeKernel k = new FakeKernel();
        k.timeWait.add(50000);
        k.timeWait.add(50001);
        assertThat(server(k).bind(b)).isEqualTo(50002);
        assertThat(k.tableReads).isZero();
    }

    @Test
    void aServerSocketTakesAPortThatOnlyTimeWaitConnectionsHoldWithOneTableForManyBinds() throws Exception {
        PortBlock b = block(50000, 3);
        FakeKernel k = new FakeKernel();
        k.timeWait.add(50000);
        k.timeWait.add(50001);
        k.timeWait.add(50002);
        CachedTables cached = new CachedTables(k);
        FakeSocket first = server(k);
        assertThat(first.bind(b, cached)).isEqualTo(50000);
        assertThat(first.reuseAddress).as("restored").isTrue();
        assertThat(server(k).bind(b, cached)).isEqualTo(50001);
        assertThat(server(k).bind(b, cached)).isEqualTo(50002);
        assertThat(k.tableReads).as("no port of the block was freed after the first read").isEqualTo(1);
        assertThat(exhausted(b, server(k))).as("never over a live socket")
                .hasMessageContaining("all 3 ports of tcp 50000-50002 are in use");
        first.closeToTimeWait();
        assertThat(server(k).bind(b, cached)).isEqualTo(50000);
        assertThat(k.tableReads).as("50000 was freed after that read: its connections may be missing from it")
                .isEqualTo(2);
    }

    @Test
    void theExhaustionMessageTellsTimeWaitFromInUse() throws Exception {
        PortBlock b = block(50000, 3);
        FakeKernel k = new FakeKernel();
        k.bound.put(50000, new FakeSocket(k, false, false));
        k.timeWait.add(50001);
        k.timeWaitWithoutReuse.add(50002);
        assertThat(exhausted(b, new FakeSocket(k, false, false))).hasMessage("the reservation is exhausted: all 3"
                + " ports of tcp 50000-50002 are taken: 1 in use, 2 held by connections in TIME_WAIT (closed less"
                + " than a minute ago; this socket has SO_REUSEADDR off, so it may not take their ports; a server"
                + " socket may); enlarge the block (count) or free ports");
        k.timeWait.clear();
        k.bound.put(50001, new FakeSocket(k, false, false));
        assertThat(exhausted(b, server(k))).hasMessageContaining("2 in use, 1 held by"
                + " connections in TIME_WAIT (closed less than a minute ago; the sockets they came from had"
                + " SO_REUSEADDR off, so no socket may take their ports yet)");
    }

    @Test
    void concurrentSearchesNeverHandOnePortToTwoLiveSockets() throws Exception {
        PortBlock b = block(50000, 8);
        FakeKernel k = new SharingKernel();
        int threads = 16;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger binds = new AtomicInteger();
        Map<Integer, FakeSocket> live = new ConcurrentHashMap<Integer, FakeSocket>();
        List<Thread> all = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 300; i++) {
                        FakeSocket s = new FakeSocket(k, true, true);
                        try {
                            int p = s.bind(b);
                            binds.incrementAndGet();
                            if (live.putIfAbsent(p, s) != null) {
                                duplicates.incrementAndGet();
                            }
                            Thread.yield(); // the socket stays open a moment
                            live.remove(p, s);
                            s.close();
                        } catch (AssociationException full) {
                            // 16 threads on 8 ports
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            th.start();
            all.add(th);
        }
        go.countDown();
        for (Thread th : all) {
            th.join();
        }
        assertThat(duplicates.get()).isZero();
        assertThat(binds.get()).isPositive();
    }

    private static AssociationException exhausted(PortBlock b, FakeSocket s) {
        try {
            s.bind(b);
        } catch (AssociationException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected the block to be exhausted", e);
        }
        throw new AssertionError("expected the block to be exhausted, bound " + s.port);
    }
}
