package io.portres.it.apps;

import java.lang.instrument.Instrumentation;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;

/**
 * A -javaagent listed before portres that uses sockets in its premain, so that the JDK's socket classes are
 * loaded (and a few sockets bound) before portres installs: portres must retransform them.
 */
public final class PreloadAgent {
    public static void premain(String args, Instrumentation inst) throws Exception {
        new ServerSocket(0).close();
        new DatagramSocket(0).close();
        ServerSocketChannel.open().close();
        DatagramChannel.open().close();
        java.nio.channels.SocketChannel.open().close();
    }
}
