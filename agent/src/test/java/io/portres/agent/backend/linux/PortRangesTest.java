package io.portres.agent.backend.linux;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PortRangesTest {

    @Test
    void parsesTheKernelSyntaxAndMergesWithoutDroppingEntries() {
        PortRanges r = PortRanges.parse("8080,50000-50049\n");
        assertThat(r.covers(8080, 8080)).isTrue();
        assertThat(r.covers(50000, 50049)).isTrue();
        assertThat(r.covers(50000, 50099)).isFalse();
        PortRanges merged = r.with(50050, 50099);
        assertThat(merged.toString()).isEqualTo("8080,50000-50099");
        assertThat(merged.covers(50000, 50099)).isTrue();
        assertThat(r.with(1000, 1010).toString()).isEqualTo("1000-1010,8080,50000-50049");
        assertThat(PortRanges.parse("8080, 8081 9000-9001").toString()).isEqualTo("8080-8081,9000-9001");
    }

    @Test
    void removesBlocksAndTellsOverlaps() {
        PortRanges r = PortRanges.parse("8080,50000-50099");
        assertThat(r.without(50000, 50049).toString()).isEqualTo("8080,50050-50099");
        assertThat(r.without(1, 2)).isEqualTo(r);
        assertThat(r.overlaps(50099, 50200)).isTrue();
        assertThat(r.overlaps(8081, 49999)).isFalse();
        assertThat(r.ranges()).hasSize(2);
    }

    @Test
    void emptyAndGarbage() {
        assertThat(PortRanges.parse("").toString()).isEmpty();
        assertThat(PortRanges.parse("\n").covers(1, 1)).isFalse();
        assertThat(PortRanges.parse("\n").isEmpty()).isTrue();
        assertThatThrownBy(() -> PortRanges.parse("5-3")).hasMessageContaining("'5-3' is not an ascending range");
        assertThatThrownBy(() -> PortRanges.parse("70000")).hasMessageContaining("is not a port (0-65535)");
        assertThatThrownBy(() -> PortRanges.parse("x")).hasMessageContaining("'x'");
    }
}
