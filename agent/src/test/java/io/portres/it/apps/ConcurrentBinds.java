package io.portres.it.apps;

import java.io.File;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ConcurrentBinds <threads> <millis>}: each thread binds a wildcard ServerSocketChannel, holds it a moment,
 * closes it, and again, until the time is up. Prints counters and the open file descriptors before and after:
 * {@code binds N exhausted N duplicates N otherErrors N fdsBefore N fdsAfter N}, and each duplicate or unexpected
 * error on its own line.
 */
public final class ConcurrentBinds {
    public static void main(String[] args) throws Exception {
        final int threads = Integer.parseInt(args[0]);
        final long until = System.currentTimeMillis() + Long.parseLong(args[1]);
        final Set<Integer> live = ConcurrentHashMap.newKeySet();
        final AtomicLong binds = new AtomicLong();
        final AtomicLong exhausted = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong other = new AtomicLong();
        int fdsBefore = openFds();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(new Runnable() {
                @Override
                public void run() {
                    while (System.currentTimeMillis() < until) {
                        try (ServerSocketChannel c = ServerSocketChannel.open()) {
                            c.bind(new InetSocketAddress(0));
                            int port = c.socket().getLocalPort();
                            if (!live.add(port)) {
                                duplicates.incrementAndGet();
                                System.out.println("DUPLICATE " + port);
                            }
                            binds.incrementAndGet();
                            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                            live.remove(port);
                        } catch (BindException e) {
                            if (e.getMessage() != null && e.getMessage().contains("exhausted")) {
                                exhausted.incrementAndGet();
                            } else {
                                other.incrementAndGet();
                                System.out.println("ERROR " + e);
                            }
                        } catch (Exception e) {
                            other.incrementAndGet();
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
        System.gc();
        System.out.println("binds " + binds + " exhausted " + exhausted + " duplicates " + duplicates
                + " otherErrors " + other + " fdsBefore " + fdsBefore + " fdsAfter " + openFds());
    }

    static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
