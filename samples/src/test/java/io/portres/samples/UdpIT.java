package io.portres.samples;

import io.portres.samples.SampleServer.Block;
import io.portres.samples.udp.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The UDP echo service under policies/udp.yaml: discovery keeps its well-known port, the echo channel bound to port 0
 * lands in the block, nothing escapes, and a client finds the echo service through discovery and gets its echo.
 */
@EnabledOnOs(OS.LINUX)
class UdpIT {

    private static final int DISCOVERY_PORT = 18480;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void discoveryKeepsItsPortAndTheEchoChannelLandsInTheBlock() throws Exception {
        try (SampleServer server = SampleServer.start("udp", List.of(), UdpEchoServer.class,
                Integer.toString(DISCOVERY_PORT));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            Map<String, Integer> ports = server.awaitReady();
            assertThat(ports).containsEntry("discovery", DISCOVERY_PORT).containsKey("echo");
            client.setSoTimeout(10_000);
            assertThat(exchange(client, DISCOVERY_PORT, "where is echo?")).isEqualTo("echo " + ports.get("echo"));
            assertThat(exchange(client, ports.get("echo"), "hello")).isEqualTo("hello");
            server.assertEverySocketLandedInItsBlock(
                    new Block("udp-discovery", "udp", DISCOVERY_PORT, 1, 1),
                    new Block("udp-echo", "udp", 26300, 10, 1));
            server.assertStopsCleanly();
        }
    }

    private static String exchange(DatagramSocket client, int port, String request) throws IOException {
        byte[] bytes = request.getBytes(StandardCharsets.UTF_8);
        client.send(new DatagramPacket(bytes, bytes.length, LOOPBACK, port));
        DatagramPacket reply = new DatagramPacket(new byte[512], 512);
        client.receive(reply);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }
}
