package io.portres.agent.backend;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokensTest {
    @Test
    void sixteenUpperCaseHexDigits() {
        assertThat(Tokens.hex(0x1A2B3C4D5E6F7788L)).isEqualTo("0x1A2B3C4D5E6F7788");
        assertThat(Tokens.hex(0L)).isEqualTo("0x0000000000000000");
        assertThat(Tokens.hex(-1L)).isEqualTo("0xFFFFFFFFFFFFFFFF");
    }
}
