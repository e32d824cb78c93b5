package io.portres.agent.discover;

import io.portres.cli.JsonLines;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DiscoveryTest {

    @Test
    void consecutiveFramesOfOneClassCountOnceAndTheListIsBounded() {
        assertThat(Discovery.collapse(new String[] {"a.A", "a.A", "b.B", "a.A", "c.C", "c.C"}, 32))
                .containsExactly("a.A", "b.B", "a.A", "c.C");
        String[] deep = new String[100];
        for (int i = 0; i < deep.length; i++) {
            deep[i] = "p.C" + i;
        }
        assertThat(Discovery.collapse(deep, Discovery.MAX_FRAMES)).hasSize(32).startsWith("p.C0", "p.C1");
        assertThat(Discovery.collapse(new String[0], 32)).isEmpty();
    }

    @Test
    void aRecordIsOneJsonObjectWithTheContractsFieldsInOrder() throws Exception {
        Discovery.Record r = new Discovery.Record();
        r.timeMillis = 1764842400000L;
        r.thread = "pool-1 \"worker\"";
        r.protocol = "tcp";
        r.address = null;
        r.port = 0;
        r.implicit = true;
        r.frames = new String[] {"com.example.Client$1", "com.example.Main"};
        r.error = null;
        String json = r.toJson();
        assertThat(json).doesNotContain("\n");
        Map<String, Object> m = JsonLines.parse(json);
        assertThat(m.keySet()).containsExactly("time", "pid", "thread", "protocol", "address", "port", "boundPort",
                "implicit", "frames", "error");
        assertThat(m.get("time")).isEqualTo("2025-12-04T10:00:00.000Z");
        assertThat(m.get("thread")).isEqualTo("pool-1 \"worker\"");
        assertThat(m.get("boundPort")).isNull();
        assertThat(m.get("implicit")).isEqualTo(true);
        assertThat(m.get("frames")).isEqualTo(Arrays.asList("com.example.Client$1", "com.example.Main"));
        r.boundPort = 26000;
        r.error = "java.net.BindException: Address already in use";
        assertThat(JsonLines.parse(r.toJson())).containsEntry("boundPort", 26000L)
                .containsEntry("error", "java.net.BindException: Address already in use");
    }
}
