package io.portres.samples.udp;

import io.portres.samples.Serve;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

/**
 * A UDP service written the usual way: a discovery responder on a well-known port ({@code DatagramSocket}) that tells
 * clients where the echo service is, and the echo service itself on whatever port it got ({@code DatagramChannel}
 * bound to port 0). A client sends anything to the discovery port, reads {@code echo <port>}, then talks to that port.
 *
 * <p>Usage: {@code UdpEchoServer [discoveryPort]} (default 18480). Prints {@code ready: discovery <port> echo <port>};
 * stops on Ctrl-C, or when standard input ends if it is not a terminal, and prints {@code stopped}.
 */
public final class UdpEchoServer {

    public static void main(String[] args) throws Exception {
        int discoveryPort = args.length > 0 ? Integer.parseInt(args[0]) : 18480;
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final DatagramSocket discovery = new DatagramSocket(new InetSocketAddress(loopback, discoveryPort));
        final DatagramChannel echo = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
        final int echoPort = echo.socket().getLocalPort();

        daemon("discovery", new Runnable() {
            @Override
            public void run() {
                byte[] answer = ("echo " + echoPort).getBytes(StandardCharsets.UTF_8);
                DatagramPacket request = new DatagramPacket(new byte[512], 512);
                try {
                    while (true) {
                        discovery.receive(request);
                        discovery.send(new DatagramPacket(answer, answer.length, request.getSocketAddress()));
                    }
                } catch (IOException closed) {
                    // the socket was closed: the server is stopping
                }
            }
        });
        daemon("echo", new Runnable() {
            @Override
            public void run() {
                ByteBuffer buf = ByteBuffer.allocate(65507);
                try {
                    while (true) {
                        buf.clear();
                        SocketAddress client = echo.receive(buf);
                        buf.flip();
                        echo.send(buf, client);
                    }
                } catch (IOException closed) {
                    // the channel was closed: the server is stopping
                }
            }
        });

        System.out.println("ready: discovery " + discovery.getLocalPort() + " echo " + echoPort);
        Serve.untilStopped();
        discovery.close();
        echo.close();
        System.out.println("stopped");
    }

    private static void daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }
}
