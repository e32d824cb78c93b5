package io.portres.agent.log;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Iso8601Test {

    @Test
    void matchesJavaTimeOverManyInstants() {
        Random r = new Random(42);
        long[] fixed = {0L, 1L, 999L, 1000L, 951782400000L /* 2000-02-29 */, 4102444799999L, -1L, 1796025600123L};
        for (long t : fixed) {
            assertThat(Iso8601.format(t)).isEqualTo(javaTime(t));
        }
        for (int i = 0; i < 100000; i++) {
            long t = (long) (r.nextDouble() * 8_000_000_000_000L) - 1_000_000_000_000L;
            assertThat(Iso8601.format(t)).isEqualTo(javaTime(t));
        }
    }

    private static String javaTime(long millis) {
        String s = Instant.ofEpochMilli(millis).toString(); // omits zero fractions
        if (s.length() == 20) {
            return s.substring(0, 19) + ".000Z";
        }
        return s;
    }
}
