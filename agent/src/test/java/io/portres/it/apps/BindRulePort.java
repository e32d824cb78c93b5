package io.portres.it.apps;

import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Prints "main", binds a ServerSocket to the port given (one a rule admits: the bind waits for the agent's verdict)
 * and prints "bound &lt;port&gt;", then exits 0; with a second argument it then waits 30 s first (a JVM the agent stops
 * must not end by itself before).
 */
public final class BindRulePort {
    public static void main(String[] args) throws Exception {
        System.out.println("main");
        System.out.flush();
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(Integer.parseInt(args[0])));
        System.out.println("bound " + s.getLocalPort());
        s.close();
        if (args.length > 1) {
            Thread.sleep(30000);
        }
    }
}
