package io.portres.agent.backend.linux;

import io.portres.agent.backend.AssociationException;
import io.portres.agent.backend.ReservationBackend;
import io.portres.policy.PolicyLoader;
import io.portres.policy.Reservation;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The port search of the Linux backend against a fake native bind. */
class BlockSearchTest {

    static LinuxBackend.Block block(int start, int count) throws Exception {
        Reservation r = PolicyLoader.parse("version: 1\nreservations:\n  b: { protocol: tcp, startPort: " + start
                + ", count: " + count + " }\nrules: []\n", "t.yaml", null).reservation("b");
        return new LinuxBackend.Block(r);
    }

    /** A kernel of sorts: a set of taken ports. */
    static final class FakeKernel implements ReservationBackend.NativeBind {
        final Set<Integer> taken = new HashSet<Integer>();
        final List<Integer> tried = new ArrayList<Integer>();

        @Override
        public void bind(int port) throws IOException {
            tried.add(port);
            if (!taken.add(port)) {
                throw new BindException("Address already in use");
            }
        }
    }

    @Test
    void successiveBindsSpreadOverTheBlockFromACursor() throws Exception {
        LinuxBackend.Block b = block(50000, 10);
        FakeKernel k = new FakeKernel();
        assertThat(LinuxBackend.search(b, k, null)).isEqualTo(50000);
        k.taken.clear(); // the first socket closed again
        assertThat(LinuxBackend.search(b, k, null)).as("not back to the first port").isEqualTo(50001);
        assertThat(LinuxBackend.search(b, k, null)).isEqualTo(50002);
    }

    @Test
    void takenPortsAreSkippedAndAFullBlockIsExhausted() throws Exception {
        LinuxBackend.Block b = block(50000, 4);
        FakeKernel k = new FakeKernel();
        k.taken.add(50000);
        k.taken.add(50001);
        assertThat(LinuxBackend.search(b, k, null)).isEqualTo(50002);
        assertThat(LinuxBackend.search(b, k, null)).isEqualTo(50003);
        assertThatThrownBy(() -> LinuxBackend.search(b, k, null)).isInstanceOf(AssociationException.class)
                .hasMessage("the reservation is exhausted: all 4 ports of tcp 50000-50003 are in use; enlarge the"
                        + " block (count) or free ports");
        assertThat(((AssociationException) catchIt(b, k)).causeKey()).isEqualTo("exhausted");
    }

    @Test
    void aFailureThatIsNotAboutThePortIsTheJdksOwn() throws Exception {
        LinuxBackend.Block b = block(50000, 3);
        ReservationBackend.NativeBind badAddress = port -> {
            throw new BindException("Cannot assign requested address");
        };
        assertThatThrownBy(() -> LinuxBackend.search(b, badAddress, null)).isInstanceOf(BindException.class)
                .hasMessage("Cannot assign requested address");
    }

    private static Throwable catchIt(LinuxBackend.Block b, FakeKernel k) {
        try {
            LinuxBackend.search(b, k, null);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
