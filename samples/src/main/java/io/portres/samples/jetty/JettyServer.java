package io.portres.samples.jetty;

import io.portres.samples.Serve;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.AbstractHandler;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Jetty 9.4 as published ({@code org.eclipse.jetty:jetty-server}), configured the way a user would: a connector on a
 * fixed port, a second connector on port 0 (an "any free port" listener, e.g. for an admin or metrics endpoint), and
 * one handler. Nothing here knows about portres.
 *
 * <p>Usage: {@code JettyServer [httpPort]} (default 18280). Prints {@code ready: http <port> admin <port>} once both
 * connectors listen; stops on Ctrl-C, or when standard input ends if it is not a terminal, and prints {@code stopped}.
 */
public final class JettyServer {

    public static void main(String[] args) throws Exception {
        int httpPort = args.length > 0 ? Integer.parseInt(args[0]) : 18280;
        Server server = new Server();

        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        http.setPort(httpPort);
        server.addConnector(http);

        ServerConnector admin = new ServerConnector(server);
        admin.setHost("127.0.0.1");
        admin.setPort(0);
        server.addConnector(admin);

        server.setHandler(new AbstractHandler() {
            @Override
            public void handle(String target, Request baseRequest, HttpServletRequest req, HttpServletResponse resp)
                    throws IOException {
                resp.setContentType("text/plain");
                resp.getOutputStream().write(("hello from Jetty on port " + req.getLocalPort() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                baseRequest.setHandled(true);
            }
        });

        server.start();
        System.out.println("ready: http " + http.getLocalPort() + " admin " + admin.getLocalPort());
        Serve.untilStopped();
        server.stop();
        server.join();
        System.out.println("stopped");
    }
}
