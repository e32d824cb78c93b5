package io.portres.it.apps;

import java.net.BindException;
import java.net.ServerSocket;

/**
 * {@code FailingBinds <n>}: binds a wildcard ServerSocket {@code n} times, counting the binds that fail with a
 * BindException (the agent's onError: fail), then prints {@code done <n> <failed>}.
 */
public final class FailingBinds {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int failed = 0;
        for (int i = 0; i < n; i++) {
            try {
                new ServerSocket(0).close();
            } catch (BindException expected) {
                failed++;
            }
        }
        System.out.println("done " + n + " " + failed);
    }
}
