package io.portres.agent.backend.windows;

import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.BindAttempt;
import io.portres.agent.log.AgentLog;
import io.portres.agent.log.LineSink;
import io.portres.policy.LogLevel;
import io.portres.policy.Policy;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-up resolution of the Windows backend against a fake {@link WinApi}: no JNA, no simulator. */
class WindowsBackendTest {

    @TempDir
    Path dir;

    /** Records the calls; answers from its fields. */
    static class FakeApi implements WinApi {
        final List<String> calls = new ArrayList<String>();
        int lookupResult = WinErrors.NO_ERROR;
        int createResult = WinErrors.NO_ERROR;
        int elevation = 1;
        long token = 0x1122334455667788L;

        @Override
        public int createPersistent(boolean udp, int startPort, int count, long[] t) {
            calls.add("create " + (udp ? "udp" : "tcp") + " " + startPort + " " + count);
            t[0] = createResult == 0 ? token + 1 : 0;
            return createResult;
        }

        @Override
        public int lookupPersistent(boolean udp, int startPort, int count, long[] t) {
            calls.add("lookup " + (udp ? "udp" : "tcp") + " " + startPort + " " + count);
            t[0] = lookupResult == 0 ? token : 0;
            return lookupResult;
        }

        @Override
        public int deletePersistent(boolean udp, int startPort, int count) {
            calls.add("delete");
            return 0;
        }

        @Override
        public int associate(long socket, long t) {
            calls.add("associate");
            return 0;
        }

        @Override
        public int acquire(long socket, int startPort, int count, long[] out) {
            calls.add("acquire " + startPort + " " + count);
            out[0] = startPort == 0 ? 61000 : startPort;
            out[1] = count;
            out[2] = 0x0A0B0C0D0E0F0102L;
            return 0;
        }

        @Override
        public int release(long socket, long t) {
            calls.add("release");
            return 0;
        }

        @Override
        public int elevation() {
            return elevation;
        }

        @Override
        public String describe() {
            return "fake";
        }
    }

    Policy policy(String reservations) throws Exception {
        return PolicyLoader.parse("version: 1\nreservations:\n" + reservations + "rules:\n"
                + "  - { name: r, match: { port: 0 }, reservation: a }\n", "policy.yaml", dir);
    }

    WindowsBackend backend(FakeApi api) {
        return backend(api, true);
    }

    /** A backend whose JNA side is {@code api}, or fails to load with {@code api}'s loading error. */
    static WindowsBackend backend(final Object api, boolean onWindows) {
        return new WindowsBackend(new WindowsBackend.ApiLoader() {
            @Override
            public WinApi load(String libraryOverride) {
                if (api instanceof Error) {
                    throw (Error) api;
                }
                return (WinApi) api;
            }

            @Override
            public String how() {
                return "the test";
            }
        }, null, onWindows, 1000);
    }

    String resolve(WindowsBackend b, Policy p) throws Exception {
        Path logFile = dir.resolve("log.txt");
        AgentLog log = new AgentLog(LogLevel.INFO, LineSink.file(logFile, false));
        b.resolveAll(p, log);
        return new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
    }

    @Test
    void aPersistentReservationIsLookedUpByItsExactBlock() throws Exception {
        FakeApi api = new FakeApi();
        WindowsBackend b = backend(api);
        Policy p = policy("  a: { protocol: tcp, startPort: 50000, count: 100 }\n");
        String log = resolve(b, p);
        assertThat(api.calls).containsExactly("lookup tcp 50000 100");
        assertThat(b.tokenOf(p.reservations().get(0))).isEqualTo("0x1122334455667788");
        assertThat(log).contains("the process is elevated",
                "reservation 'a' (tcp 50000-50099, persistent): token 0x1122334455667788 (looked up)");
    }

    @Test
    void aLiteralTokenIsUsedWithoutALookup() throws Exception {
        FakeApi api = new FakeApi();
        WindowsBackend b = backend(api);
        Policy p = policy("  a: { protocol: tcp, startPort: 50000, count: 100, token: \"0xABCDEF\" }\n");
        resolve(b, p);
        assertThat(api.calls).isEmpty();
        assertThat(b.tokenOf(p.reservations().get(0))).isEqualTo("0x0000000000ABCDEF");
    }

    @Test
    void aMissingReservationIsCreatedOnlyWithCreateTrue() throws Exception {
        FakeApi api = new FakeApi();
        api.lookupResult = WinErrors.ERROR_NOT_FOUND;
        WindowsBackend b = backend(api);
        Policy p = policy("  a: { protocol: udp, startPort: 50000, count: 10, create: true }\n");
        String log = resolve(b, p);
        assertThat(api.calls).containsExactly("lookup udp 50000 10", "create udp 50000 10");
        assertThat(log).contains("token 0x1122334455667789 (created (create: true))");

        FakeApi api2 = new FakeApi();
        api2.lookupResult = WinErrors.ERROR_NOT_FOUND;
        WindowsBackend b2 = backend(api2);
        Policy p2 = policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n");
        String log2 = resolve(b2, p2);
        assertThat(api2.calls).containsExactly("lookup tcp 50000 10");
        assertThat(b2.tokenOf(p2.reservations().get(0))).isNull();
        assertThat(log2).contains("no persistent reservation tcp 50000+10 exists (ERROR_NOT_FOUND (1168) from"
                + " LookupPersistentTcpPortReservation", "netsh int ipv4 add excludedportrange protocol=tcp"
                + " startport=50000 numberofports=10 store=persistent");
    }

    @Test
    void creatingWithoutElevationSaysHow() throws Exception {
        FakeApi api = new FakeApi();
        api.lookupResult = WinErrors.ERROR_NOT_FOUND;
        api.createResult = WinErrors.ERROR_ACCESS_DENIED;
        api.elevation = 0;
        WindowsBackend b = backend(api);
        String log = resolve(b, policy("  a: { protocol: tcp, startPort: 50000, count: 10, create: true }\n"));
        assertThat(log).contains("the process is not elevated", "creating the persistent reservation tcp 50000+10"
                + " needs an elevated process (ERROR_ACCESS_DENIED (5) from CreatePersistentTcpPortReservation)");
    }

    @Test
    void aPersistentTokenInANonElevatedProcessIsWarnedAboutAtStartUp() throws Exception {
        FakeApi api = new FakeApi();
        api.elevation = 0;
        String log = resolve(backend(api), policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n"));
        assertThat(log).contains("WARN", "matched binds will fail with WSAEACCES (run elevated, or use kind:"
                + " runtime)");
    }

    @Test
    void aMissingLookupFunctionFailsOnlyItsOwnReservationOnOneLine() throws Exception {
        FakeApi api = new FakeApi() {
            @Override
            public int lookupPersistent(boolean udp, int startPort, int count, long[] t) {
                // JNA's message on Windows/Wine: FormatMessage text, CRLF included
                throw new UnsatisfiedLinkError("Error looking up function 'LookupPersistentTcpPortReservation':"
                        + " Procedure not found.\r\n");
            }
        };
        Policy p = policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n"
                + "  b: { protocol: tcp, startPort: 50100, count: 10, token: \"0x0123456789ABCDEF\" }\n");
        WindowsBackend b = backend(api);
        String log = resolve(b, p);
        assertThat(log).contains("reservation 'a' (tcp 50000-50009, persistent): port reservations are not supported"
                + " here: iphlpapi has no LookupPersistentTcpPortReservation (Error looking up function"
                + " 'LookupPersistentTcpPortReservation': Procedure not found.); they need Windows Vista",
                "reservation 'b' (tcp 50100-50109, persistent): token 0x0123456789ABCDEF (literal token from the"
                + " policy)").doesNotContain("\r", "\n\n");
        assertThat(b.tokenOf(p.reservations().get(1))).isEqualTo("0x0123456789ABCDEF");
        assertThat(b.tokenOf(p.reservations().get(0))).isNull();
    }

    @Test
    void whenTheApiCannotLoadEveryReservationSaysWhy() throws Exception {
        WindowsBackend b = backend(new UnsatisfiedLinkError("no jnidispatch"), true);
        Policy p = policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n");
        String log = resolve(b, p);
        assertThat(log).contains("ERROR", "could not be loaded through JNA", "no jnidispatch");
        assertThat(b.resolutions()).singleElement().satisfies(r -> assertThat(r.error).contains("no jnidispatch"));
    }

    @Test
    void offWindowsWithoutTheSimulatorTheBackendExplainsItself() throws Exception {
        FakeApi api = new FakeApi();
        WindowsBackend b = backend(api, false);
        String log = resolve(b, policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n"));
        assertThat(api.calls).isEmpty();
        assertThat(log).contains("the windows backend needs Windows", "-Dportres.windows.library=");
    }

    @Test
    void aBindBeforeStartUpFinishesWaitsBoundedThenFailsItsAssociation() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        WindowsBackend b = new WindowsBackend(new WindowsBackend.ApiLoader() {
            @Override
            public WinApi load(String libraryOverride) throws Exception {
                release.await(); // JNA loading that takes longer than the bind is willing to wait
                return new FakeApi();
            }

            @Override
            public String how() {
                return "the test";
            }
        }, null, true, 200);
        Policy p = policy("  a: { protocol: tcp, startPort: 50000, count: 10 }\n");
        b.start(p, new AgentLog(LogLevel.INFO, LineSink.file(dir.resolve("log.txt"), false)));
        BindAttempt attempt = io.portres.agent.backend.TestAttempt.of(new FileDescriptor(), null, 0, Protocol.TCP,
                false, p.rules().get(0));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> b.associate(attempt)).isInstanceOf(AssociationException.class)
                .hasMessageContaining("the Windows backend was not ready after 200 ms");
        assertThat((System.nanoTime() - t0) / 1000000L).isGreaterThanOrEqualTo(190L);
        release.countDown();
    }

    @Test
    void theLibrarySwitchPrefersThePropertyOverTheEnvironment() {
        assertThat(WindowsBackend.libraryOverride(" /a.so ", "/b.so")).isEqualTo("/a.so");
        assertThat(WindowsBackend.libraryOverride(null, "/b.so")).isEqualTo("/b.so");
        assertThat(WindowsBackend.libraryOverride("", " ")).isNull();
    }
}
