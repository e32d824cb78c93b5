package io.portres.it.apps;

import java.net.ServerSocket;

/** The safe-agent application: binds one socket the test policy does not match, prints OK, exits 0. */
public final class Trivial {
    public static void main(String[] args) throws Exception {
        ServerSocket s = new ServerSocket(0);
        s.close();
        System.out.println("OK");
    }
}
