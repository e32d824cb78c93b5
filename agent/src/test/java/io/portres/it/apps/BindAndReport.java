package io.portres.it.apps;

import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;

/**
 * Binds {@code n} wildcard ServerSockets, ServerSocketChannels and DatagramSockets, and reports each as
 * {@code bound <api> <port>} or {@code failed <api> <BindException message>}, plus whether a failed socket could
 * still be closed. Usage: {@code BindAndReport <n> [waitForLine]}; with waitForLine it first binds one socket,
 * prints "ready", and waits for a line on standard input (the attach test attaches meanwhile).
 */
public final class BindAndReport {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        if (args.length > 1) {
            ServerSocket early = new ServerSocket(0);
            System.out.println("early " + early.getLocalPort());
            System.out.println("ready");
            System.out.flush();
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
            early.close();
        }
        for (int i = 0; i < n; i++) {
            ServerSocket s = new ServerSocket();
            try {
                s.bind(new InetSocketAddress(0));
                System.out.println("bound server-socket " + s.getLocalPort());
            } catch (BindException e) {
                System.out.println("failed server-socket " + e.getMessage());
            } finally {
                s.close();
                System.out.println("closed server-socket " + s.isClosed());
            }
            ServerSocketChannel c = ServerSocketChannel.open();
            try {
                c.bind(new InetSocketAddress(0));
                System.out.println("bound server-socket-channel " + c.socket().getLocalPort());
            } catch (BindException e) {
                System.out.println("failed server-socket-channel " + e.getMessage());
            } finally {
                c.close();
                System.out.println("closed server-socket-channel " + !c.isOpen());
            }
            try {
                DatagramSocket d = new DatagramSocket(0);
                System.out.println("bound datagram-socket " + d.getLocalPort());
                d.close();
            } catch (BindException e) {
                System.out.println("failed datagram-socket " + e.getMessage());
            }
        }
    }
}
