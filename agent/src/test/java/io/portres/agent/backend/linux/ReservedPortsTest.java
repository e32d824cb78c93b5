package io.portres.agent.backend.linux;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReservedPortsTest {

    @Test
    void parsesTheKernelSyntaxAndMergesWithoutDroppingEntries() {
        ReservedPorts r = ReservedPorts.parse("8080,50000-50049\n");
        assertThat(r.covers(8080, 8080)).isTrue();
        assertThat(r.covers(50000, 50049)).isTrue();
        assertThat(r.covers(50000, 50099)).isFalse();
        ReservedPorts merged = r.with(50050, 50099);
        assertThat(merged.toString()).isEqualTo("8080,50000-50099");
        assertThat(merged.covers(50000, 50099)).isTrue();
        assertThat(r.with(1000, 1010).toString()).isEqualTo("1000-1010,8080,50000-50049");
    }

    @Test
    void emptyAndGarbage() {
        assertThat(ReservedPorts.parse("").toString()).isEmpty();
        assertThat(ReservedPorts.parse("\n").covers(1, 1)).isFalse();
        assertThat(ReservedPorts.parse("x,5-3,70000,7").toString()).isEqualTo("7");
    }
}
