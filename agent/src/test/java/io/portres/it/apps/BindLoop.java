package io.portres.it.apps;

import java.io.File;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code BindLoop <threads> <stopFile>}: each thread binds and closes wildcard ServerSockets in a loop, printing
 * {@code bound <port>}, until {@code stopFile} exists. Any exception is printed as {@code ERROR ...}.
 */
public final class BindLoop {
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        final File stop = new File(args[1]);
        final AtomicBoolean failed = new AtomicBoolean();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(new Runnable() {
                @Override
                public void run() {
                    while (!stop.exists()) {
                        try {
                            ServerSocket s = new ServerSocket(0);
                            synchronized (System.out) {
                                System.out.println("bound " + s.getLocalPort());
                            }
                            s.close();
                            Thread.sleep(5);
                        } catch (Exception e) {
                            failed.set(true);
                            System.out.println("ERROR " + e);
                        }
                    }
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        System.exit(failed.get() ? 3 : 0);
    }
}
