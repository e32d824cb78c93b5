package io.portres.samples;

import io.portres.samples.SampleServer.Block;
import io.portres.samples.jetty.JettyServer;
import io.portres.samples.tomcat.TomcatServer;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Embedded Tomcat and Jetty, unmodified, under policies/tomcat.yaml and policies/jetty.yaml: the fixed-port
 * connector keeps its port, the port-0 connector lands in the block, nothing escapes, and both answer HTTP.
 */
@EnabledOnOs(OS.LINUX)
class HttpServersIT {

    /** A sample whose policy has the rules {@code <name>-http} and {@code <name>-any-port}. */
    record HttpSample(String name, String product, Class<?> main, int httpPort, int anyPortBlock) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<HttpSample> samples() {
        return List.of(new HttpSample("tomcat", "Tomcat", TomcatServer.class, 18180, 26000),
                new HttpSample("jetty", "Jetty", JettyServer.class, 18280, 26100));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void connectorsLandInTheirBlocksAndServeHttp(HttpSample sample) throws Exception {
        try (SampleServer server = SampleServer.start(sample.name(), List.of(), sample.main(),
                Integer.toString(sample.httpPort()))) {
            Map<String, Integer> ports = server.awaitReady();
            assertThat(ports).containsEntry("http", sample.httpPort()).containsKey("admin");
            for (int port : ports.values()) {
                assertThat(httpGet(port)).isEqualTo("hello from " + sample.product() + " on port " + port + "\n");
            }
            server.assertEverySocketLandedInItsBlock(
                    new Block(sample.name() + "-http", "tcp", sample.httpPort(), 1, 1),
                    new Block(sample.name() + "-any-port", "tcp", sample.anyPortBlock(), 10, 1));
            server.assertStopsCleanly();
        }
    }

    static String httpGet(int port) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        assertThat(c.getResponseCode()).isEqualTo(200);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
