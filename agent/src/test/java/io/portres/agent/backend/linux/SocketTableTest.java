package io.portres.agent.backend.linux;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /proc/net/tcp}, {@code tcp6} and {@code udp} as the kernel writes them. */
class SocketTableTest {

    static final String TCP = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
            + " inode\n"
            + "   0: 00000000:C353 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1"
            + " 0000000000000000 100 0 0 10 0\n"
            + "   1: 0100007F:C354 0100007F:9C40 06 00000000:00000000 03:00001770 00000000     0        0 0 3"
            + " 0000000000000000\n"
            + "   2: 0100007F:C355 0100007F:9C41 01 00000000:00000000 00:00000000 00000000     0        0 777 1\n";
    static final String TCP6 = "  sl  local_address                         remote_address                        st"
            + " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 0000000000000000FFFF00000100007F:6BE2 0000000000000000FFFF00000100007F:9F2E 06"
            + " 00000000:00000000 03:0000169F 00000000     0        0 0 3 0000000068a9a732\n"
            + "   1: 0000000000000000FFFF00000100007F:6BE2 0000000000000000FFFF00000100007F:9F54 06"
            + " 00000000:00000000 03:000016B7 00000000     0        0 0 3 00000000f291de59";

    @Test
    void listeningAndConnectedSocketsAreInUseTimeWaitIsApart() {
        SocketTable t = SocketTable.parsed(TCP, true);
        assertThat(t.inUse(50003)).isTrue();
        assertThat(t.onlyTimeWait(50003)).isFalse();
        assertThat(t.timeWait(50004)).isTrue();
        assertThat(t.onlyTimeWait(50004)).isTrue();
        assertThat(t.inUse(50004)).isFalse();
        assertThat(t.inUse(50005)).as("established").isTrue();
        assertThat(t.held().cardinality()).isEqualTo(3);
    }

    @Test
    void ipv6TablesWithoutATrailingNewline() {
        SocketTable t = SocketTable.parsed(TCP6, true);
        assertThat(t.onlyTimeWait(0x6BE2)).isTrue();
        assertThat(t.held().cardinality()).isEqualTo(1);
    }

    @Test
    void udpHasNoTimeWait() {
        SocketTable t = SocketTable.parsed(TCP.replace(" 06 ", " 07 "), false);
        assertThat(t.inUse(50004)).isTrue();
        assertThat(t.timeWait(50004)).isFalse();
        assertThat(SocketTable.parsed("heading only", false).held().isEmpty()).isTrue();
    }
}
