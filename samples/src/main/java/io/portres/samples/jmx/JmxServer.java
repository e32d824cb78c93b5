package io.portres.samples.jmx;

import io.portres.samples.Serve;

/**
 * A JVM whose only server is the JDK's own JMX agent: started with {@code -Dcom.sun.management.jmxremote.port=<port>}
 * it opens an RMI registry on that port and exports its connector servers on port 0, before {@code main} runs.
 * Nothing here knows about portres.
 *
 * <p>Prints {@code ready: jmx <port>}; stops on Ctrl-C, or when standard input ends if it is not a terminal, and prints
 * {@code stopped}.
 */
public final class JmxServer {

    public static void main(String[] args) throws Exception {
        String port = System.getProperty("com.sun.management.jmxremote.port");
        if (port == null) {
            System.err.println("start the JVM with -Dcom.sun.management.jmxremote.port=<port> (see samples/README.md)");
            System.exit(2);
        }
        System.out.println("ready: jmx " + port);
        Serve.untilStopped();
        System.out.println("stopped");
    }
}
