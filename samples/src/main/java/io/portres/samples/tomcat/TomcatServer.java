package io.portres.samples.tomcat;

import io.portres.samples.Serve;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Embedded Tomcat 9 as published ({@code org.apache.tomcat.embed:tomcat-embed-core}), configured the way a user
 * would: an HTTP connector on a fixed port, a second HTTP connector on port 0 (an "any free port" listener, e.g. for
 * an admin or metrics endpoint), and one servlet. Nothing here knows about portres.
 *
 * <p>Usage: {@code TomcatServer [httpPort]} (default 18180). Prints {@code ready: http <port> admin <port>} once both
 * connectors listen; stops on Ctrl-C, or when standard input ends if it is not a terminal, and prints {@code stopped}.
 */
public final class TomcatServer {

    public static void main(String[] args) throws Exception {
        int httpPort = args.length > 0 ? Integer.parseInt(args[0]) : 18180;
        File base = Files.createTempDirectory("tomcat-sample").toFile();

        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        tomcat.setHostname("127.0.0.1");

        Connector http = new Connector("HTTP/1.1");
        http.setPort(httpPort);
        http.setProperty("address", "127.0.0.1");
        tomcat.setConnector(http);

        Connector admin = new Connector("HTTP/1.1");
        admin.setPort(0);
        admin.setProperty("address", "127.0.0.1");
        tomcat.getService().addConnector(admin);

        Context ctx = tomcat.addContext("", base.getAbsolutePath());
        Tomcat.addServlet(ctx, "hello", new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                resp.setContentType("text/plain");
                resp.getOutputStream().write(("hello from Tomcat on port " + req.getLocalPort() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        });
        ctx.addServletMappingDecoded("/*", "hello");

        tomcat.start();
        System.out.println("ready: http " + http.getLocalPort() + " admin " + admin.getLocalPort());
        Serve.untilStopped();
        tomcat.stop();
        tomcat.destroy();
        deleteTree(base.toPath());
        System.out.println("stopped");
    }

    /** Tomcat's base directory (its work folder): deleteOnExit would leave it behind, as it is not empty. */
    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
                Files.delete(p);
            }
        }
    }
}
