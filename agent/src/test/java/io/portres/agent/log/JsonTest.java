package io.portres.agent.log;

import io.portres.it.support.Events;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JsonTest {

    @Test
    void escapesEverythingRfc8259Requires() {
        String nasty = "a\"b\\c\nd\re\tf\u0001g\u2028h/ü";
        String json = Json.string(new StringBuilder(), nasty).toString();
        assertThat(json).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u2028h/ü\"");
        assertThat(Events.parse("{\"k\":" + json + "}").get("k")).isEqualTo(nasty);
    }

    @Test
    void nullIsTheLiteral() {
        assertThat(Json.string(new StringBuilder(), null).toString()).isEqualTo("null");
    }

    @Test
    void eventHasExactlyTheContractFieldsInOrder() {
        EventLog.Event e = EventLog.event(0L, "main \"x\"", "tcp", "0.0.0.0", 0, 50012, "rmi-exports", "rmi",
                "0x00000000000000FF", "windows", "sun.rmi.transport.tcp.TCPEndpoint", "associated", null,
                "javax.management.remote.rmi.RMIConnectorServer");
        java.util.Map<String, Object> m = Events.parse(e.toJson());
        assertThat(m.keySet()).containsExactly("time", "pid", "thread", "protocol", "address", "port",
                "boundPort", "rule", "reservation", "token", "backend", "caller", "outcome", "error", "matched");
        assertThat(m.get("time")).isEqualTo("1970-01-01T00:00:00.000Z");
        assertThat(m.get("thread")).isEqualTo("main \"x\"");
        assertThat(m.get("boundPort")).isEqualTo(50012L);
        assertThat((Long) m.get("pid")).isPositive();
        assertThat(m.get("error")).isNull();
        assertThat(m.get("matched")).isEqualTo("javax.management.remote.rmi.RMIConnectorServer");
        EventLog.Event failed = EventLog.event(0L, "t", "udp", null, 0, -1, "r", "b", null, "audit", null,
                "failed", "x", null);
        assertThat(Events.parse(failed.toJson()).get("boundPort")).isNull();
        assertThat(Events.parse(failed.toJson()).get("address")).isNull();
    }
}
