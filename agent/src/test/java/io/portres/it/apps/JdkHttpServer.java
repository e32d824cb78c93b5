package io.portres.it.apps;

import com.sun.net.httpserver.HttpServer;

import java.net.InetSocketAddress;

/** Starts the JDK's own HTTP server on a wildcard port, prints {@code port <n>}, stops it. */
public final class JdkHttpServer {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(0), 0);
        System.out.println("port " + server.getAddress().getPort());
        server.stop(0);
    }
}
