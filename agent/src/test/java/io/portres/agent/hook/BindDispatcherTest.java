package io.portres.agent.hook;

import io.portres.agent.hook.point.Sites;

import io.portres.agent.jdk.JdkAccess;

import io.portres.agent.Engine;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.AuditBackend;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.RejectBackend;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.hook.fixture.RealBindBridge;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.AsyncWriter;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.LineSink;
import io.portres.it.support.Events;
import io.portres.policy.ClassMatcher;
import io.portres.policy.LogLevel;
import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Reservation;
import io.portres.testfixture.Far;
import io.portres.testfixture.Near;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The dispatcher without bytecode, on real sockets bound the way the bridge binds them: decisions, the verdict read
 * back from the OS, onError, events, the engine a bind keeps, re-entrancy and the allocation-free miss path.
 */
class BindDispatcherTest {

    @TempDir
    Path dir;

    /** Ports below the ephemeral range, used by no other test. */
    private static final int BLOCK = 47300;
    private static final int FIXED_OUTSIDE = 47290;
    private static final int LENIENT = 47291;

    private static final String POLICY = "version: 1\n"
            + "reservations:\n"
            + "  rmi: { protocol: tcp, startPort: " + BLOCK + ", count: 10 }\n"
            + "rules:\n"
            + "  - { name: by-class, match: { port: 0, class: [\"io.portres.testfixture.Far\"] }, reservation: rmi,"
            + " onError: continue }\n"
            + "  - { name: exports, match: { port: 0 }, reservation: rmi }\n"
            + "  - { name: lenient, match: { port: " + LENIENT + " }, reservation: rmi, onError: continue }\n"
            + "  - { name: fixed, match: { port: " + FIXED_OUTSIDE + " }, reservation: rmi }\n";

    private final List<ServerSocketChannel> open = new ArrayList<>();

    @BeforeAll
    static void connect() throws Exception {
        BindDispatcher.connect(RealBindBridge.class);
    }

    @AfterEach
    void detach() throws Exception {
        BindDispatcher.setEngine(null);
        for (ServerSocketChannel c : open) {
            c.close();
        }
    }

    private Engine engine(String mode, ReservationBackend backend) throws Exception {
        return engine(mode, backend, "");
    }

    private Engine engine(String mode, ReservationBackend backend, String suffix) throws Exception {
        Policy p = PolicyLoader.parse("mode: " + mode + "\n" + POLICY, "p.yaml", dir);
        AgentLog log = new AgentLog(LogLevel.DEBUG, LineSink.file(dir.resolve("portres" + suffix + ".log"), false));
        Engine e = new Engine(p, backend, log, new EventLog(LineSink.file(dir.resolve("events" + suffix + ".jsonl"),
                false)));
        BindDispatcher.setEngine(e);
        return e;
    }

    private List<Map<String, Object>> events() throws Exception {
        return events("");
    }

    private List<Map<String, Object>> events(String suffix) throws Exception {
        AsyncWriter.flush(5000);
        return Events.read(dir.resolve("events" + suffix + ".jsonl"));
    }

    private String log() throws Exception {
        AsyncWriter.flush(5000);
        return new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
    }

    private static InetAddress any() throws Exception {
        return InetAddress.getByName("0.0.0.0");
    }

    private ServerSocketChannel channel() throws IOException {
        ServerSocketChannel c = ServerSocketChannel.open();
        open.add(c);
        return c;
    }

    static FileDescriptor fd(Object channel) throws Exception {
        return (FileDescriptor) Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD").invoke(channel);
    }

    /** What {@code Net.bind} does once rewritten: before, the native bind (through the agent, or the JDK's), after. */
    static int bind(ServerSocketChannel c, int port) throws Exception {
        FileDescriptor fd = fd(c);
        boolean v6 = JdkAccess.isIPv6Available();
        int p = BindDispatcher.before(Sites.NET_BIND, null, fd, any(), port);
        try {
            if (!BindDispatcher.nativeBind(Sites.NET_BIND, null, fd, v6, false, any(), p)) {
                JdkAccess.bind0(fd, v6, false, any(), p);
            }
        } catch (IOException | RuntimeException x) {
            BindDispatcher.after(Sites.NET_BIND, fd, -1, x);
            throw x;
        }
        BindDispatcher.after(Sites.NET_BIND, fd, -1, null);
        return JdkAccess.localPort(fd);
    }

    /** Binds a wildcard port of the block itself, as the Linux backend does. */
    static class BlockBackend extends Delegating {
        BlockBackend() {
            super(new AuditBackend());
        }

        @Override
        public int associate(BindAttempt attempt) {
            return attempt.port() == 0 ? BIND_IN_RESERVATION : attempt.port();
        }

        @Override
        public void bindInReservation(BindAttempt attempt, NativeBind nativeBind) throws IOException {
            for (int p = attempt.reservation().startPort(); ; p++) {
                try {
                    nativeBind.bind(p);
                    return;
                } catch (BindException taken) {
                    if (p == attempt.reservation().endPort()) {
                        throw taken;
                    }
                }
            }
        }
    }

    /** Says the association took, but nothing confines the socket: the OS picks an ephemeral port. */
    static class SilentBackend extends Delegating {
        SilentBackend() {
            super(new AuditBackend());
        }
    }

    @Test
    void auditedBindIsRecordedWithThePortTheOsBound() throws Exception {
        engine("audit", new AuditBackend());
        ServerSocketChannel c = channel();
        int bound = bind(c, 0);
        assertThat(bound).isEqualTo(JdkAccess.localPort(fd(c))).isPositive();
        List<Map<String, Object>> ev = events();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0)).containsEntry("outcome", "audited").containsEntry("boundPort", (long) bound)
                .containsEntry("rule", "exports").containsEntry("reservation", "rmi")
                .containsEntry("protocol", "tcp").containsEntry("address", "0.0.0.0").containsEntry("port", 0L)
                .containsEntry("backend", "audit").containsEntry("token", null).containsEntry("matched", null)
                .containsEntry("thread", Thread.currentThread().getName());
        assertThat(log()).contains("tcp 0.0.0.0:0 -> port " + bound + ": rule 'exports', reservation 'rmi'"
                + " (tcp " + BLOCK + "-" + (BLOCK + 9) + "), audited");
    }

    @Test
    void aSocketBoundInsideTheBlockIsAssociated() throws Exception {
        engine("enforce", new BlockBackend());
        int bound = bind(channel(), 0);
        assertThat(bound).isBetween(BLOCK, BLOCK + 9);
        assertThat(events()).singleElement().satisfies(e -> assertThat(e).containsEntry("outcome", "associated")
                .containsEntry("boundPort", (long) bound).containsEntry("backend", "test"));
    }

    @Test
    void anAssociationThatDidNotTakeFailsTheBindUnderFailAndReleasesThePort() throws Exception {
        engine("enforce", new SilentBackend());
        ServerSocketChannel c = channel();
        assertThatThrownBy(() -> bind(c, 0)).isInstanceOf(BindException.class)
                .hasMessageContaining("portres: rule 'exports' could not keep this tcp socket in reservation 'rmi'"
                        + " (tcp " + BLOCK + "-" + (BLOCK + 9) + "): the socket was bound to port ")
                .hasMessageContaining("outside the block (requested port 0)");
        Map<String, Object> e = events().get(0);
        assertThat(e).containsEntry("outcome", "failed").containsEntry("boundPort", null);
        String error = (String) e.get("error");
        int actual = Integer.parseInt(error.replaceAll(".*bound to port (\\d+),.*", "$1"));
        assertThat(actual < BLOCK || actual > BLOCK + 9).as("port " + actual + " outside the block").isTrue();
        assertThat(JdkAccess.localPort(fd(c))).as("the socket no longer holds its port").isNotEqualTo(actual);
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(actual)); // the port it took is free again
        }
    }

    @Test
    void anAssociationThatDidNotTakeIsContinuedUnderContinue() throws Exception {
        engine("enforce", new SilentBackend());
        ServerSocketChannel c = channel();
        int bound = Far.call(() -> Near.call(() -> bind(c, 0)));
        assertThat(JdkAccess.localPort(fd(c))).isEqualTo(bound);
        Map<String, Object> e = events().get(0);
        assertThat(e).containsEntry("rule", "by-class").containsEntry("outcome", "continued")
                .containsEntry("boundPort", (long) bound);
        assertThat((String) e.get("error")).contains("bound to port " + bound + ", outside the block");
        assertThat(log()).contains("WARN rule 'by-class': a socket of reservation 'rmi'");
    }

    @Test
    void aBackendBindOutsideTheBlockIsCaughtToo() throws Exception {
        engine("enforce", new BlockBackend() {
            @Override
            public void bindInReservation(BindAttempt attempt, NativeBind nativeBind) throws IOException {
                nativeBind.bind(0); // a retry that lost the reservation, as NET_BindV6 does on Windows
            }
        });
        assertThatThrownBy(() -> bind(channel(), 0)).isInstanceOf(BindException.class)
                .hasMessageContaining("outside the block");
        assertThat(events()).singleElement().satisfies(e -> assertThat(e).containsEntry("outcome", "failed"));
    }

    @Test
    void aFixedPortOutsideTheBlockIsBoundAsAskedButNotAssociated() throws Exception {
        engine("enforce", new SilentBackend());
        assertThat(bind(channel(), FIXED_OUTSIDE)).isEqualTo(FIXED_OUTSIDE);
        assertThat(events()).singleElement().satisfies(e -> assertThat(e).containsEntry("outcome", "outside")
                .containsEntry("boundPort", (long) FIXED_OUTSIDE));
        assertThat(log()).contains("WARN rule 'fixed': a bind to port " + FIXED_OUTSIDE + " is outside");
    }

    @Test
    void theEventNamesTheFrameThatMetTheClassCondition() throws Exception {
        engine("enforce", new BlockBackend());
        Far.call(() -> Near.call(() -> bind(channel(), 0)));
        Map<String, Object> e = events().get(0);
        assertThat(e).containsEntry("rule", "by-class").containsEntry("caller", Near.class.getName())
                .containsEntry("matched", Far.class.getName()).containsEntry("outcome", "associated");
        assertThat(ClassMatcher.of(java.util.Collections.singletonList("io.portres.testfixture.Far"))
                .matches((String) e.get("matched"))).isTrue();
        assertThat(e.keySet()).last().isEqualTo("matched");
    }

    @Test
    void aBindKeepsTheEngineThatDecidedItAcrossAReload() throws Exception {
        List<String> bindsBy = new ArrayList<>();
        Engine first = engine("enforce", new BlockBackend() {
            @Override
            public void bindInReservation(BindAttempt attempt, NativeBind nativeBind) throws IOException {
                bindsBy.add("first");
                super.bindInReservation(attempt, nativeBind);
            }
        }, "-1");
        ServerSocketChannel c = channel();
        FileDescriptor fd = fd(c);
        boolean v6 = JdkAccess.isIPv6Available();
        int p = BindDispatcher.before(Sites.NET_BIND, null, fd, any(), 0);
        Engine second = engine("enforce", new RejectBackend(), "-2"); // a reload, between decision and bind
        assertThat(first.retired()).isFalse();
        CompletableFuture<Boolean> retired = CompletableFuture.supplyAsync(() -> first.retire(10000));
        assertThat(BindDispatcher.nativeBind(Sites.NET_BIND, null, fd, v6, false, any(), p)).isTrue();
        assertThat(retired).as("retiring waits for the bind the engine decided").isNotDone();
        BindDispatcher.after(Sites.NET_BIND, fd, -1, null);
        assertThat(retired.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(bindsBy).containsExactly("first");
        assertThat(events("-1")).singleElement().satisfies(e -> assertThat(e).containsEntry("outcome", "associated")
                .containsEntry("boundPort", (long) JdkAccess.localPort(fd(c))));
        assertThat(events("-2")).isEmpty();
        assertThat(first.inFlight()).isZero();
        // a retired engine decides nothing more: the next bind is the new policy's
        assertThatThrownBy(() -> bind(channel(), 0)).isInstanceOf(BindException.class)
                .hasMessageContaining("reject backend");
        assertThat(events("-2")).hasSize(1);
        assertThat(second.inFlight()).isZero();
    }

    @Test
    void underConcurrentReloadsEveryBindIsBoundAndRecordedByTheEngineThatDecidedIt() throws Exception {
        int threads = 4;
        int reloads = 50;
        java.util.concurrent.atomic.AtomicLong binds = new java.util.concurrent.atomic.AtomicLong();
        List<Engine> engines = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Integer> starts = java.util.Collections.synchronizedList(new ArrayList<>());
        engines.add(engine("enforce", new BlockBackend(), "-0"));
        starts.add(BLOCK);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
        Thread reloader = new Thread(() -> {
            try {
                for (int i = 1; i <= reloads; i++) {
                    Engine old = engines.get(engines.size() - 1);
                    int start = i % 2 == 0 ? BLOCK : BLOCK + 10;
                    Policy p = PolicyLoader.parse("mode: enforce\n" + POLICY.replace("startPort: " + BLOCK,
                            "startPort: " + start), "p.yaml", dir);
                    Engine next = new Engine(p, new BlockBackend(), new AgentLog(LogLevel.WARN,
                            LineSink.file(dir.resolve("portres-" + i + ".log"), false)),
                            new EventLog(LineSink.file(dir.resolve("events-" + i + ".jsonl"), false)));
                    engines.add(next);
                    starts.add(start);
                    BindDispatcher.setEngine(next);
                    if (!old.retire(10000)) {
                        failures.incrementAndGet();
                    }
                    old.close();
                    Thread.sleep(2); // let binds be decided by each engine
                }
            } catch (Exception e) {
                failures.incrementAndGet();
                throw new AssertionError(e);
            } finally {
                done.set(true);
            }
        });
        List<Thread> binders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            binders.add(new Thread(() -> {
                while (!done.get()) {
                    try (ServerSocketChannel c = ServerSocketChannel.open()) {
                        bind(c, 0);
                        binds.incrementAndGet();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        binders.forEach(Thread::start);
        reloader.start();
        reloader.join();
        for (Thread b : binders) {
            b.join();
        }
        assertThat(failures.get()).isZero();
        assertThat(engines).as("reloads while binding").hasSize(reloads + 1);
        long recorded = 0;
        for (int i = 0; i < engines.size(); i++) {
            assertThat(engines.get(i).inFlight()).isZero();
            int start = starts.get(i);
            for (Map<String, Object> e : events("-" + i)) {
                assertThat(e).as("engine " + i + ": " + e).containsEntry("outcome", "associated");
                assertThat((Long) e.get("boundPort")).as("engine " + i + ": " + e).isBetween((long) start,
                        start + 9L);
                recorded++;
            }
        }
        assertThat(recorded).isEqualTo(binds.get()).isGreaterThan(reloads);
        assertThat(RealBindBridge.IN_FLIGHT.get()).isZero();
    }

    @Test
    void unmatchedBindLeavesNoTrace() throws Exception {
        engine("enforce", new RejectBackend());
        assertThat(BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 8080))
                .isEqualTo(8080);
        assertThat(BindDispatcher.before(Sites.LEGACY_UDP_BIND, null, new FileDescriptor(), any(), 0))
                .as("no UDP rule").isEqualTo(0);
        BindDispatcher.after(Sites.LEGACY_TCP_BIND, new FileDescriptor(), 8080, null);
        assertThat(events()).isEmpty();
    }

    @Test
    void onErrorFailThrowsTheDeliberateBindExceptionAndRecordsIt() throws Exception {
        Engine e = engine("enforce", new RejectBackend());
        assertThatThrownBy(() -> bind(channel(), 0)).isInstanceOf(BindException.class)
                .hasMessage("portres: rule 'exports' could not associate this tcp socket with reservation 'rmi'"
                        + " (tcp " + BLOCK + "-" + (BLOCK + 9) + "): the reject backend refuses every association"
                        + " (backend=reject is for rehearsing onError; remove it to use the OS backend)");
        List<Map<String, Object>> ev = events();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0)).containsEntry("outcome", "failed").containsEntry("boundPort", null)
                .containsEntry("backend", "reject");
        assertThat(e.inFlight()).isZero();
        assertThat(RealBindBridge.IN_FLIGHT.get()).isZero();
    }

    @Test
    void onErrorContinueBindsAndWarnsOncePerRuleAndCause() throws Exception {
        engine("enforce", new RejectBackend());
        for (int i = 0; i < 3; i++) {
            ServerSocketChannel c = channel();
            assertThat(bind(c, LENIENT)).isEqualTo(LENIENT);
            c.close();
        }
        assertThat(events()).hasSize(3).allSatisfy(e -> assertThat(e).containsEntry("outcome", "continued")
                .containsEntry("boundPort", (long) LENIENT));
        String log = log();
        assertThat(log.split("WARN rule 'lenient'", -1)).hasSize(2);
    }

    @Test
    void failedNativeBindIsRecordedWithTheJdkError() throws Exception {
        engine("enforce", new SilentBackend());
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(LENIENT));
            assertThatThrownBy(() -> bind(channel(), LENIENT)).isInstanceOf(BindException.class)
                    .hasMessageNotContaining("portres");
        }
        assertThat(events().get(0)).containsEntry("boundPort", null).containsEntry("outcome", "failed")
                .hasEntrySatisfying("error", err -> assertThat((String) err).startsWith("java.net.BindException"));
        assertThat(RealBindBridge.IN_FLIGHT.get()).isZero();
    }

    @Test
    void aBackendThatBindsAgainIsNotReentered() throws Exception {
        final int[] innerResult = {Integer.MIN_VALUE};
        engine("enforce", new BlockBackend() {
            @Override
            public int associate(BindAttempt attempt) {
                try {
                    innerResult[0] = BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(),
                            any(), 0);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return super.associate(attempt);
            }
        });
        bind(channel(), 0);
        assertThat(innerResult[0]).isZero();
        assertThat(events()).hasSize(1).first().satisfies(e -> assertThat(e).containsEntry("outcome",
                "associated"));
    }

    @Test
    void aBuggyBackendNeverBreaksTheBind() throws Exception {
        Engine e = engine("enforce", new Delegating(new AuditBackend()) {
            @Override
            public int associate(BindAttempt attempt) {
                throw new IllegalStateException("boom");
            }
        });
        assertThat(bind(channel(), 0)).isPositive();
        assertThat(log()).contains("ERROR internal error in bind hook").contains("boom");
        assertThat(e.inFlight()).as("the bug released the engine").isZero();
    }

    @Test
    void theMissPathAllocatesNothing() throws Exception {
        engine("enforce", new RejectBackend());
        FileDescriptor fd = new FileDescriptor();
        InetAddress any = any();
        for (int i = 0; i < 200_000; i++) { // let the JIT settle
            BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, fd, any, 8080);
            BindDispatcher.after(Sites.LEGACY_TCP_BIND, fd, 8080, null);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++) {
            BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, fd, any, 8080);
            BindDispatcher.after(Sites.LEGACY_TCP_BIND, fd, 8080, null);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(allocated).as("bytes allocated by 100,000 unmatched binds").isLessThan(1024);
    }

    /** A backend that forwards to another, for overriding one method. */
    static class Delegating implements ReservationBackend {
        final ReservationBackend d;

        Delegating(ReservationBackend d) {
            this.d = d;
        }

        @Override
        public String name() {
            return "test";
        }

        @Override
        public void start(Policy policy, AgentLog log) {
        }

        @Override
        public int associate(BindAttempt attempt) throws AssociationException {
            return d.associate(attempt);
        }

        @Override
        public String tokenOf(Reservation reservation) {
            return null;
        }

        @Override
        public String explainBindFailure(BindAttempt attempt, Throwable failure) {
            return null;
        }

        @Override
        public void stop() {
        }
    }
}
