package io.portres.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code suggest} (a draft policy from a discovery file) and {@code report} (an events file summarized). */
class SuggestAndReportTest {

    @TempDir
    Path dir;

    static final String[] RMI = {"sun.rmi.transport.tcp.TCPDirectSocketFactory", "sun.rmi.transport.tcp.TCPEndpoint",
        "sun.rmi.transport.tcp.TCPTransport", "sun.rmi.transport.LiveRef", "sun.rmi.server.UnicastServerRef",
        "java.rmi.server.UnicastRemoteObject", "com.example.app.Main"};
    static final String[] APP = {"com.example.app.Listener", "com.example.app.Main"};
    static final String[] TOMCAT = {"org.apache.tomcat.util.net.NioEndpoint",
        "org.apache.tomcat.util.net.AbstractEndpoint", "org.apache.catalina.connector.Connector",
        "org.apache.catalina.util.LifecycleBase", "com.example.app.Main"};
    static final String[] HTTP_CLIENT = {"org.apache.http.impl.conn.DefaultClientConnectionOperator",
        "com.example.app.Main"};
    static final String[] JMX = {"com.sun.jmx.remote.internal.ServerCommunicatorAdmin", "java.lang.Thread"};
    static final String[] UDP = {"com.example.app.Announcer", "java.util.concurrent.ThreadPoolExecutor$Worker",
        "java.lang.Thread"};

    static String record(String protocol, String address, int port, Integer bound, boolean implicit,
                         String... frames) {
        StringBuilder f = new StringBuilder();
        for (String s : frames) {
            f.append(f.length() == 0 ? "" : ",").append('"').append(s).append('"');
        }
        return "{\"time\":\"2026-12-04T10:00:00.000Z\",\"pid\":4242,\"thread\":\"main\",\"protocol\":\"" + protocol
                + "\",\"address\":" + (address == null ? "null" : "\"" + address + "\"") + ",\"port\":" + port
                + ",\"boundPort\":" + bound + ",\"implicit\":" + implicit + ",\"frames\":[" + f + "],\"error\":null}";
    }

    List<String> discovery() {
        return Arrays.asList(
                record("tcp", "0.0.0.0", 8080, 8080, false, TOMCAT),
                record("tcp", "0.0.0.0", 0, 41001, false, RMI),
                record("tcp", "0.0.0.0", 0, 41002, false, RMI),
                record("tcp", "0.0.0.0", 0, 41003, false, APP),
                record("tcp", "0.0.0.0", 0, 41004, false, TOMCAT),
                record("tcp", null, 0, null, true, HTTP_CLIENT),
                record("tcp", "0.0.0.0", 0, 41005, false, JMX),
                record("udp", "0.0.0.0", 0, 41006, false, UDP),
                record("udp", "0.0.0.0", 5353, 5353, false, UDP),
                record("tcp", "0.0.0.0", 0, 41007, false, "java.lang.Thread"));
    }

    Path write(String name, List<String> lines) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, lines, StandardCharsets.UTF_8);
        return p;
    }

    static CliTest.Run run(String... args) {
        return CliTest.run(Host.current(), args);
    }

    @Test
    void theDraftGroupsWildcardBindsByWhoMadeThemAndEveryBindLandsInItsGroupsRule() throws Exception {
        Path d = write("discovery.jsonl", discovery());
        Path policy = dir.resolve("policy.yaml");
        CliTest.Run r = run("suggest", d.toString(), "--tcp-block", "26000-26019", "--udp-block", "26100-26104",
                "-o", policy.toString());
        assertThat(r.code).as(r.toString()).isZero();
        String yaml = new String(Files.readAllBytes(policy), StandardCharsets.UTF_8);
        assertThat(yaml).startsWith("# yaml-language-server: $schema=policy.schema.json\n");
        assertThat(dir.resolve("policy.schema.json")).exists();
        // the smallest globs that tell the groups apart; never com.sun.** (it would catch com.sun.proxy)
        assertThat(yaml).contains("class: \"sun.rmi.**\"", "class: \"com.example.**\"",
                "class: \"org.apache.tomcat.**\"", "class: \"org.apache.http.**\"", "class: \"com.sun.jmx.**\"")
                .doesNotContain("\"org.apache.**\"", "\"com.sun.**\"", "\"java.", "\"jdk.");
        // the application's own glob matches the deeper frames of RMI's and Tomcat's binds: it comes after them
        assertThat(yaml.indexOf("sun.rmi.**\" }")).isLessThan(yaml.indexOf("com.example.**\" }"));
        assertThat(yaml.indexOf("org.apache.tomcat.**\" }")).isLessThan(yaml.indexOf("com.example.**\" }"));
        assertThat(yaml).contains("#   tcp 8080 on 0.0.0.0: 1 bind, by org.apache.tomcat.util.net.NioEndpoint",
                "#   udp 5353 on 0.0.0.0: 1 bind, by com.example.app.Announcer",
                "rule 'sun-rmi' (tcp, class sun.rmi.**): 2 binds; deciding frames:"
                        + " sun.rmi.transport.tcp.TCPDirectSocketFactory",
                "(1 implicit)", "Not confined: 1 bind with no frame outside the JDK's plumbing");
        assertThat(yaml).contains("tcp-block: { protocol: tcp, startPort: 26000, count: 20 }",
                "udp-block: { protocol: udp, startPort: 26100, count: 5 }");

        CliTest.Run v = run("validate", "--offline", policy.toString());
        assertThat(v.code).as(v.toString()).isZero();
        assertThat(v.out).contains("valid (0 errors, 0 warnings)");

        // explain agrees, bind by bind
        assertThat(explainMatch(policy, "tcp", false, RMI)).isEqualTo("sun-rmi");
        assertThat(explainMatch(policy, "tcp", false, APP)).isEqualTo("tcp-com-example");
        assertThat(explainMatch(policy, "tcp", false, TOMCAT)).isEqualTo("org-apache-tomcat");
        assertThat(explainMatch(policy, "tcp", true, HTTP_CLIENT)).isEqualTo("org-apache-http");
        assertThat(explainMatch(policy, "tcp", false, JMX)).isEqualTo("com-sun-jmx");
        assertThat(explainMatch(policy, "udp", false, UDP)).isEqualTo("udp-com-example");
        assertThat(explainMatch(policy, "tcp", false, "java.lang.Thread")).isNull();
    }

    static String explainMatch(Path policy, String protocol, boolean implicit, String... frames) {
        List<String> args = new ArrayList<String>(Arrays.asList("explain", policy.toString(), "--json"));
        if (implicit) {
            args.add("--implicit");
        } else {
            args.addAll(Arrays.asList("--port", "0", "--protocol", protocol));
        }
        for (String f : frames) {
            args.add("--class");
            args.add(f);
        }
        CliTest.Run r = run(args.toArray(new String[0]));
        return (String) Json.field(r.out, "match");
    }

    @Test
    void sameInputSameOutputWhateverTheOrderOfTheLines() throws Exception {
        List<String> lines = new ArrayList<String>(discovery());
        CliTest.Run a = run("suggest", write("a.jsonl", lines).toString(), "--tcp-block", "26000-26019",
                "--udp-block", "26100-26104");
        Collections.reverse(lines);
        CliTest.Run b = run("suggest", write("b.jsonl", lines).toString(), "--tcp-block", "26000-26019",
                "--udp-block", "26100-26104");
        assertThat(a.code).as(a.toString()).isZero();
        assertThat(b.out.replace("b.jsonl", "a.jsonl")).isEqualTo(a.out);
        assertThat(run("suggest", dir.resolve("a.jsonl").toString(), "--tcp-block", "26000-26019",
                "--udp-block", "26100-26104").out).isEqualTo(a.out);
    }

    @Test
    void fixedPortsBecomeOnePortReservationsWhenAsked() throws Exception {
        Path d = write("discovery.jsonl", discovery());
        Path policy = dir.resolve("p.yaml");
        CliTest.Run r = run("suggest", d.toString(), "--tcp-block", "26000-26019", "--udp-block", "26100-26104",
                "--reserve-fixed", "-o", policy.toString());
        assertThat(r.code).as(r.toString()).isZero();
        String yaml = new String(Files.readAllBytes(policy), StandardCharsets.UTF_8);
        assertThat(yaml).contains("tcp-8080: { protocol: tcp, startPort: 8080, count: 1 }",
                "- name: fixed-tcp-8080\n    match: { port: 8080, protocol: tcp }\n    reservation: tcp-8080",
                "udp-5353: { protocol: udp, startPort: 5353, count: 1 }");
        assertThat(run("validate", "--offline", policy.toString()).code).isZero();
        CliTest.Run e = run("explain", policy.toString(), "--port", "8080", "--class", TOMCAT[0]);
        assertThat(e.out).contains("MATCHES -> reservation 'tcp-8080'");
    }

    @Test
    void aProtocolWithWildcardBindsNeedsItsBlock() throws Exception {
        Path d = write("discovery.jsonl", discovery());
        CliTest.Run r = run("suggest", d.toString(), "--tcp-block", "26000-26019");
        assertThat(r.code).isEqualTo(Main.USAGE_OR_IO);
        assertThat(r.err).contains("the discovery has 1 udp wildcard or implicit binds: give --udp-block START-END");
        CliTest.Run bad = run("suggest", d.toString(), "--tcp-block", "26019-26000");
        assertThat(bad.code).isEqualTo(Main.USAGE_OR_IO);
        assertThat(bad.err).contains("--tcp-block 26019-26000: give START-END");
    }

    @Test
    void reportCountsPerReservationAndRuleAndListsFailures() throws Exception {
        Path policy = dir.resolve("policy.yaml");
        Files.write(policy, ("version: 1\nreservations:\n  block: { protocol: tcp, startPort: 26000, count: 4 }\n"
                + "rules:\n  - name: app\n    match: { port: 0, class: \"com.example.**\" }\n    reservation: block\n"
                + "  - name: unused\n    match: { port: 0, class: \"org.example.**\" }\n    reservation: block\n")
                .getBytes(StandardCharsets.UTF_8));
        List<String> events = new ArrayList<String>();
        for (int i = 0; i < 4; i++) {
            events.add(event(1, 26000 + i, "associated", null));
        }
        events.add(event(2, 26001, "associated", null));
        events.add(event(1, -1, "failed", "the reservation is exhausted: all 4 ports of tcp 26000-26003 are in use"));
        events.add("{\"time\":\"2026-12-04T10:00:01.000Z\",\"pid\":1,\"thread\":\"portres-reload\",\"protocol\":null,"
                + "\"address\":null,\"port\":0,\"boundPort\":null,\"rule\":null,\"reservation\":null,\"token\":null,"
                + "\"backend\":\"linux\",\"caller\":null,\"outcome\":\"reloaded\",\"error\":null}");
        Path file = write("events.jsonl", events);
        CliTest.Run r = run("report", file.toString(), "--policy", policy.toString());
        assertThat(r.code).as(r.toString()).isEqualTo(Main.FOUND_PROBLEMS);
        assertThat(r.out).contains("6 matched binds from 2 processes",
                "block (tcp 26000-26003): 4 ports used (26000-26003), peak 4 of 4: FULL",
                "app -> block: 6 matched: 5 associated, 0 audited, 1 failed, 0 continued",
                "unused -> block: 0 matched: 0 associated, 0 audited, 0 failed, 0 continued (never matched)",
                "1 binds failed or went ahead without their reservation:",
                "tcp 0.0.0.0:0, rule app, failed, caller com.example.App: the reservation is exhausted");
        CliTest.Run j = run("report", file.toString(), "--policy", policy.toString(), "--json");
        Map<String, Object> m = JsonLines.parse(j.out.trim());
        assertThat(m.get("binds")).isEqualTo(6L);
        assertThat(((List<?>) m.get("problems"))).hasSize(1);
        assertThat(j.out).contains("\"reservation\":\"block\",\"block\":\"tcp 26000-26003\",\"size\":4,"
                + "\"portsUsed\":4,\"ports\":\"26000-26003\",\"peakInUse\":4");

        CliTest.Run fine = run("report", write("ok.jsonl", events.subList(0, 3)).toString());
        assertThat(fine.code).as(fine.toString()).isZero();
        assertThat(fine.out).contains("peak 3 (block size unknown: give --policy)",
                "no bind failed or went ahead without its reservation");
    }

    static String event(long pid, int bound, String outcome, String error) {
        return "{\"time\":\"2026-12-04T10:00:00.000Z\",\"pid\":" + pid + ",\"thread\":\"main\",\"protocol\":\"tcp\","
                + "\"address\":\"0.0.0.0\",\"port\":0,\"boundPort\":" + (bound < 0 ? "null" : bound) + ",\"rule\":"
                + "\"app\",\"reservation\":\"block\",\"token\":null,\"backend\":\"linux\",\"caller\":"
                + "\"com.example.App\",\"outcome\":\"" + outcome + "\",\"error\":" + (error == null ? "null"
                : "\"" + error + "\"") + "}";
    }

    /** The one field these tests read from a command's JSON. */
    static final class Json {
        static Object field(String json, String key) {
            try {
                return JsonLines.parse(json.trim()).get(key);
            } catch (Exception e) {
                throw new AssertionError(json, e);
            }
        }
    }
}
