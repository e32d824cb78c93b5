package io.portres.it.apps;

import java.io.File;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ReloadStress <threads> <stopFile> <lo> <hi>}: each thread binds and closes wildcard ServerSockets in a loop
 * until {@code stopFile} exists, printing {@code OUTSIDE <port>} for a port outside {@code lo-hi} and
 * {@code ERROR ...} for an exception; a sampler prints {@code fds <n>} (open descriptors, /proc/self/fd) every 100
 * ms. At the end: {@code binds <n> outside <n> errors <n>}.
 */
public final class ReloadStress {
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        final File stop = new File(args[1]);
        final int lo = Integer.parseInt(args[2]);
        final int hi = Integer.parseInt(args[3]);
        final AtomicLong binds = new AtomicLong();
        final AtomicLong outside = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(new Runnable() {
            @Override
            public void run() {
                while (!done.get()) {
                    String[] fds = new File("/proc/self/fd").list();
                    synchronized (System.out) {
                        System.out.println("fds " + (fds == null ? -1 : fds.length));
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(new Runnable() {
                @Override
                public void run() {
                    while (!stop.exists()) {
                        try {
                            ServerSocket s = new ServerSocket(0);
                            int port = s.getLocalPort();
                            s.close();
                            binds.incrementAndGet();
                            Thread.sleep(2);
                            if (port < lo || port > hi) {
                                outside.incrementAndGet();
                                synchronized (System.out) {
                                    System.out.println("OUTSIDE " + port);
                                }
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            synchronized (System.out) {
                                System.out.println("ERROR " + e);
                            }
                        }
                    }
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        done.set(true);
        synchronized (System.out) {
            System.out.println("binds " + binds.get() + " outside " + outside.get() + " errors " + errors.get());
        }
        System.exit(0);
    }
}
