package io.portres.agent.hook;

import io.portres.agent.hook.point.Sites;
import io.portres.agent.hook.point.HookPoint;

import io.portres.agent.jdk.JdkVersion;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The main class of the JVM that {@code portres doctor --verify} starts (with {@code -Xverify:all} and the agent):
 * waits for the agent's self-test, then binds once through every socket API as a self-test probe (loopback, port 0:
 * no decision, no event) and prints one line per hook point this JDK uses, tab-separated: {@code hook}, letter,
 * hooked method, {@code OK} or {@code FAIL}, detail. Exit status 0 when every line is OK.
 */
public final class VerifyHooks {

    private VerifyHooks() {
    }

    public static void main(String[] args) throws Exception {
        SelfTest.Verdict verdict = SelfTest.awaitVerdict(60000);
        Class<?> bridge;
        try {
            bridge = Class.forName("sun.nio.ch.PortresBridge", false, null);
        } catch (ClassNotFoundException e) {
            bridge = null;
        }
        if (verdict == null || bridge == null) {
            System.out.println("hook\t-\tthe agent\tFAIL\tthe agent did not run its self-test (see its messages)");
            System.exit(1);
        }
        final InetAddress lo = InetAddress.getLoopbackAddress();
        Map<String, Runnable> apis = new LinkedHashMap<String, Runnable>();
        apis.put("ServerSocket.bind", new Bind() {
            @Override
            void bind() throws IOException {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(lo, 0));
                s.close();
            }
        });
        apis.put("Socket.bind", new Bind() {
            @Override
            void bind() throws IOException {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(lo, 0));
                s.close();
            }
        });
        apis.put("DatagramSocket", new Bind() {
            @Override
            void bind() throws IOException {
                new DatagramSocket(new InetSocketAddress(lo, 0)).close();
            }
        });
        apis.put("ServerSocketChannel.bind", new Bind() {
            @Override
            void bind() throws IOException {
                ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0)).close();
            }
        });
        apis.put("DatagramChannel.bind", new Bind() {
            @Override
            void bind() throws IOException {
                DatagramChannel.open().bind(new InetSocketAddress(lo, 0)).close();
            }
        });
        final ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(lo, 0)); // before the probes: its own bind is no probe
        final InetSocketAddress to = (InetSocketAddress) listener.getLocalAddress();
        apis.put("SocketChannel.connect (implicit bind)", new Bind() {
            @Override
            void bind() throws IOException {
                SocketChannel.open(to).close();
            }
        });
        apis.put("DatagramChannel.connect (implicit bind)", new Bind() {
            @Override
            void bind() throws IOException {
                DatagramChannel.open().connect(to).close();
            }
        });
        apis.put("DatagramChannel.send (implicit bind)", new Bind() {
            @Override
            void bind() throws IOException {
                DatagramChannel c = DatagramChannel.open();
                c.send(ByteBuffer.allocate(1), to);
                c.close();
            }
        });
        Map<String, Integer> arrived = new LinkedHashMap<String, Integer>();
        Map<String, String> errors = new LinkedHashMap<String, String>();
        for (Map.Entry<String, Runnable> api : apis.entrySet()) {
            try {
                arrived.put(api.getKey(), SelfTest.probe(bridge, api.getValue()));
            } catch (Throwable t) {
                Throwable cause = t.getCause() != null ? t.getCause() : t;
                errors.put(api.getKey(), String.valueOf(cause));
                arrived.put(api.getKey(), 0);
            }
        }
        listener.close();
        boolean failed = !verdict.ok();
        for (String gap : verdict.gaps) {
            if (!gap.contains("NOT APPLIED")) {
                System.out.println("hook\t-\tprobe\tFAIL\t" + gap);
            }
        }
        EnumSet<HookPoint> inUse = HookPoint.inUse(JdkVersion.FEATURE, System.getProperties(), true);
        for (HookPoint p : inUse) {
            String line = null;
            for (String h : verdict.hooks) {
                if (h.startsWith(p.describe() + ":")) {
                    line = h;
                }
            }
            boolean applied = line != null && !line.contains("NOT APPLIED");
            StringBuilder by = new StringBuilder();
            for (Map.Entry<String, Integer> a : arrived.entrySet()) {
                if (reaches(p, a.getKey(), a.getValue())) {
                    by.append(by.length() == 0 ? "" : ", ").append(a.getKey());
                }
            }
            String status = applied && by.length() > 0 ? "OK" : "FAIL";
            String detail;
            if (!applied) {
                detail = line == null ? "not checked by the agent's self-test" : line.substring(line.indexOf(": ") + 2);
            } else if (by.length() == 0) {
                StringBuilder why = new StringBuilder("applied, but no probe bind reached the agent through it");
                for (Map.Entry<String, String> e : errors.entrySet()) {
                    why.append("; ").append(e.getKey()).append(" failed: ").append(e.getValue());
                }
                detail = why.toString();
            } else {
                detail = "applied, verified by " + by;
            }
            failed |= !"OK".equals(status);
            System.out.println("hook\t" + p.letter() + "\t" + p.className() + "." + p.method() + "\t" + status + "\t"
                    + detail.replace('\t', ' ').replace('\n', ' '));
        }
        System.out.flush();
        System.exit(failed ? 1 : 0);
    }

    /** Whether the probe of {@code api}, which reached the dispatcher through {@code sites}, proves {@code p}. */
    private static boolean reaches(HookPoint p, String api, int sites) {
        if (p == HookPoint.UDP_SEND || p == HookPoint.UDP_CONNECT) {
            // E turns the kernel's bind inside send/connect into an explicit one, which reaches A
            return api.startsWith(p == HookPoint.UDP_SEND ? "DatagramChannel.send" : "DatagramChannel.connect")
                    && (sites & (1 << Sites.NET_BIND)) != 0;
        }
        return (sites & (1 << p.site())) != 0;
    }

    /** A probe: one bind, its I/O errors wrapped for {@link SelfTest#probe}. */
    private abstract static class Bind implements Runnable {
        abstract void bind() throws IOException;

        @Override
        public void run() {
            try {
                bind();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
