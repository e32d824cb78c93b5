package io.portres.agent.hook;

import io.portres.agent.Engine;
import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.AuditBackend;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.backend.RejectBackend;
import io.portres.agent.backend.ReservationBackend;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.AsyncWriter;
import io.portres.agent.log.EventLog;
import io.portres.agent.log.LineSink;
import io.portres.it.support.Events;
import io.portres.policy.LogLevel;
import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Reservation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileDescriptor;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dispatcher without bytecode: decisions, onError, events, re-entrancy and the allocation-free miss path. */
class BindDispatcherTest {

    @TempDir
    Path dir;

    private static final String POLICY = "version: 1\n"
            + "reservations:\n"
            + "  rmi: { protocol: tcp, startPort: 50000, count: 100 }\n"
            + "rules:\n"
            + "  - { name: exports, match: { port: 0 }, reservation: rmi }\n"
            + "  - { name: lenient, match: { port: 7000 }, reservation: rmi, onError: continue }\n";

    @AfterEach
    void detach() {
        BindDispatcher.setEngine(null);
    }

    private Engine engine(String mode, ReservationBackend backend) throws Exception {
        Policy p = PolicyLoader.parse("mode: " + mode + "\n" + POLICY, "p.yaml", dir);
        AgentLog log = new AgentLog(LogLevel.DEBUG, LineSink.file(dir.resolve("portres.log"), false));
        Engine e = new Engine(p, backend, log, new EventLog(LineSink.file(dir.resolve("events.jsonl"), false)));
        BindDispatcher.setEngine(e);
        return e;
    }

    private List<Map<String, Object>> events() throws Exception {
        AsyncWriter.flush(5000);
        return Events.read(dir.resolve("events.jsonl"));
    }

    private String log() throws Exception {
        AsyncWriter.flush(5000);
        return new String(Files.readAllBytes(dir.resolve("portres.log")), StandardCharsets.UTF_8);
    }

    private static InetAddress any() throws Exception {
        return InetAddress.getByName("0.0.0.0");
    }

    @Test
    void auditedBindIsRecordedWithItsBoundPort() throws Exception {
        engine("audit", new AuditBackend());
        int port = BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 0);
        assertThat(port).isZero();
        BindDispatcher.after(Sites.LEGACY_TCP_BIND, new FileDescriptor(), 50007, null);
        List<Map<String, Object>> ev = events();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0)).containsEntry("outcome", "audited").containsEntry("boundPort", 50007L)
                .containsEntry("rule", "exports").containsEntry("reservation", "rmi")
                .containsEntry("protocol", "tcp").containsEntry("address", "0.0.0.0").containsEntry("port", 0L)
                .containsEntry("backend", "audit").containsEntry("token", null)
                .containsEntry("thread", Thread.currentThread().getName());
        assertThat(log()).contains("tcp 0.0.0.0:0 -> port 50007: rule 'exports', reservation 'rmi'"
                + " (tcp 50000-50099), audited");
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
        engine("enforce", new RejectBackend());
        assertThatThrownBy(() -> BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(),
                0)).isInstanceOf(BindException.class)
                .hasMessage("portres: rule 'exports' could not associate this tcp socket with reservation 'rmi'"
                        + " (tcp 50000-50099): the reject backend refuses every association (backend=reject is"
                        + " for rehearsing onError; remove it to use the OS backend)");
        List<Map<String, Object>> ev = events();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0)).containsEntry("outcome", "failed").containsEntry("boundPort", null)
                .containsEntry("backend", "reject");
    }

    @Test
    void onErrorContinueBindsAndWarnsOncePerRuleAndCause() throws Exception {
        engine("enforce", new RejectBackend());
        for (int i = 0; i < 3; i++) {
            assertThat(BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 7000))
                    .isEqualTo(7000);
            BindDispatcher.after(Sites.LEGACY_TCP_BIND, new FileDescriptor(), 7000, null);
        }
        assertThat(events()).hasSize(3).allSatisfy(e -> assertThat(e).containsEntry("outcome", "continued"));
        String log = log();
        assertThat(log.split("WARN rule 'lenient'", -1)).hasSize(2);
    }

    @Test
    void failedNativeBindIsRecordedWithTheJdkError() throws Exception {
        engine("audit", new AuditBackend());
        BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 0);
        BindDispatcher.after(Sites.LEGACY_TCP_BIND, new FileDescriptor(), -1,
                new BindException("Address already in use"));
        assertThat(events().get(0)).containsEntry("boundPort", null)
                .containsEntry("error", "java.net.BindException: Address already in use");
    }

    @Test
    void aBackendThatBindsAgainIsNotReentered() throws Exception {
        final int[] innerResult = {Integer.MIN_VALUE};
        engine("enforce", new Delegating(new AuditBackend()) {
            @Override
            public int associate(BindAttempt attempt) {
                try {
                    innerResult[0] = BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(),
                            any(), 0);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return attempt.port();
            }
        });
        BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 0);
        BindDispatcher.after(Sites.LEGACY_TCP_BIND, new FileDescriptor(), 50001, null);
        assertThat(innerResult[0]).isZero();
        assertThat(events()).hasSize(1).first().satisfies(e -> assertThat(e).containsEntry("outcome",
                "associated"));
    }

    @Test
    void aBuggyBackendNeverBreaksTheBind() throws Exception {
        engine("enforce", new Delegating(new AuditBackend()) {
            @Override
            public int associate(BindAttempt attempt) {
                throw new IllegalStateException("boom");
            }
        });
        assertThat(BindDispatcher.before(Sites.LEGACY_TCP_BIND, null, new FileDescriptor(), any(), 0)).isZero();
        assertThat(log()).contains("ERROR internal error in bind hook").contains("boom");
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
