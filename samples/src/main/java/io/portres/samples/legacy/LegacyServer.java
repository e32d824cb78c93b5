package io.portres.samples.legacy;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A legacy server of the kind portres exists for, compiled for Java 8 and written the way old servers are: a fixed
 * TCP listener, a UDP socket on an ephemeral port, an RMI registry on a fixed port and a remote object exported on
 * port 0 (RMI picks "any free port", which is exactly what an operator cannot firewall or reserve without help).
 *
 * <p>Usage: {@code LegacyServer [--serve] [httpPort] [registryPort]}. Without {@code --serve} it opens everything,
 * prints where each socket landed, and exits: that is the demo.
 */
public final class LegacyServer {

    /** The remote interface RMI exports. */
    public interface Clock extends Remote {
        long now() throws RemoteException;
    }

    static final class ClockImpl implements Clock {
        @Override
        public long now() {
            return System.currentTimeMillis();
        }
    }

    public static void main(String[] args) throws Exception {
        boolean serve = false;
        List<Integer> ports = new ArrayList<Integer>();
        for (String a : args) {
            if (a.equals("--serve")) {
                serve = true;
            } else {
                ports.add(Integer.parseInt(a));
            }
        }
        int httpPort = ports.size() > 0 ? ports.get(0) : 8080;
        int registryPort = ports.size() > 1 ? ports.get(1) : 1099;
        // RMI would otherwise advertise the host's name; the demo stays on loopback.
        System.setProperty("java.rmi.server.hostname", "127.0.0.1");

        ServerSocket http = new ServerSocket(httpPort, 50, InetAddress.getLoopbackAddress());
        report("tcp", "http listener (fixed port " + httpPort + ")", http.getLocalPort());

        DatagramSocket discovery = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        report("udp", "discovery socket (ephemeral)", discovery.getLocalPort());

        Registry registry = LocateRegistry.createRegistry(registryPort);
        report("tcp", "RMI registry (fixed port " + registryPort + ")", registryPort);

        ClockImpl clock = new ClockImpl();
        Clock stub = (Clock) UnicastRemoteObject.exportObject(clock, 0);
        registry.rebind("clock", stub);
        Clock remote = (Clock) LocateRegistry.getRegistry("127.0.0.1", registryPort).lookup("clock");
        report("tcp", "RMI remote object (exported on port 0)", exportedPort(stub));
        System.out.println("remote call through RMI: clock.now() = " + remote.now());

        if (serve) {
            System.out.println("serving; stop with Ctrl-C");
            Thread.sleep(Long.MAX_VALUE);
        }
        UnicastRemoteObject.unexportObject(clock, true);
        UnicastRemoteObject.unexportObject(registry, true);
        discovery.close();
        http.close();
    }

    private static void report(String protocol, String what, int port) {
        System.out.printf("%-4s %-45s port %d%n", protocol, what, port);
    }

    /** The port an RMI stub points at, from its toString ("...[127.0.0.1:41235](local),..."). */
    private static int exportedPort(Object stub) throws IOException {
        String s = stub.toString();
        int colon = s.indexOf(':', s.indexOf("[127.0.0.1"));
        int end = colon + 1;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return Integer.parseInt(s.substring(colon + 1, end));
    }
}
