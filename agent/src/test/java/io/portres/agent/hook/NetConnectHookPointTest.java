package io.portres.agent.hook;

import io.portres.agent.hook.point.HookPoint;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.BasicVerifier;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static io.portres.it.support.AsmView.node;
import static io.portres.it.support.AsmView.opcodes;
import static io.portres.it.support.AsmView.real;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDK 26+ hook point for implicit TCP binds ({@link HookPoint#NET_CONNECT}): it is chosen by the class file's
 * own version, so this JVM's {@code sun.nio.ch.Net} (older than 26, which still has {@code sun.net.NetHooks}) keeps
 * its connect untouched, and the same class marked as JDK 26's gets the call to the bridge at the entry of
 * {@code connect(ProtocolFamily, FileDescriptor, InetAddress, int)}: {@code PortresBridge.implicitTcpConnect(fd,
 * remote)}, which reports site 5 to the dispatcher. {@code PatchedJdkClassesIT} and {@code EveryApiIT} do the same on the real JDK 26 and 27.
 */
class NetConnectHookPointTest {

    private static final String NET = "sun/nio/ch/Net";
    private static final String CONNECT_DESC = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";

    @Test
    void beforeJdk26OnlyTheBindIsHooked() throws Exception {
        byte[] net = netClass();
        assertThat(net[7] & 0xff).as("this test runs on a JDK older than 26").isLessThan(70);
        List<String> instrumented = new ArrayList<String>();
        byte[] out = instrumentNet(net, instrumented);
        assertThat(instrumented).containsExactly("sun.nio.ch.Net.bind");
        assertThat(firstCall(method(out, "connect", CONNECT_DESC))).isNotEqualTo("sun/nio/ch/PortresBridge.implicitTcpConnect");
    }

    @Test
    void fromJdk26EveryConnectCallsTheBridgeFirst() throws Exception {
        byte[] net = netClass();
        net[6] = 0;
        net[7] = 70; // the class file version of JDK 26
        List<String> instrumented = new ArrayList<String>();
        byte[] out = instrumentNet(net, instrumented);
        assertThat(instrumented).containsExactlyInAnyOrder("sun.nio.ch.Net.bind", "sun.nio.ch.Net.connect");

        MethodNode connect = method(out, "connect", CONNECT_DESC);
        new Analyzer<>(new BasicVerifier()).analyze(NET, connect); // throws on any inconsistency
        List<AbstractInsnNode> code = real(connect);
        // PortresBridge.implicitTcpConnect(fd, remote) at the entry: the port to connect to is not the bridge's business
        assertThat(code.get(0).getOpcode()).isEqualTo(Opcodes.ALOAD);
        assertThat(((org.objectweb.asm.tree.VarInsnNode) code.get(0)).var).as("socket").isEqualTo(1);
        assertThat(code.get(1).getOpcode()).isEqualTo(Opcodes.ALOAD);
        assertThat(((org.objectweb.asm.tree.VarInsnNode) code.get(1)).var).as("remote address").isEqualTo(2);
        assertThat(firstCall(connect)).isEqualTo("sun/nio/ch/PortresBridge.implicitTcpConnect");
        assertThat(((MethodInsnNode) code.get(2)).desc).isEqualTo("(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V");
        assertThat(connect.tryCatchBlocks).as("entry code only, no handler").isEmpty();

        // the other connect overloads and the rest of the class are untouched
        ClassNode before = node(netClass());
        ClassNode after = node(out);
        for (int i = 0; i < before.methods.size(); i++) {
            MethodNode b = before.methods.get(i);
            if (!(b.name.equals("bind") || b.name.equals("connect") && b.desc.equals(CONNECT_DESC))) {
                assertThat(opcodes(after.methods.get(i))).as(b.name + b.desc).isEqualTo(opcodes(b));
            }
        }
    }

    @Test
    void theWarmUpLoadsNetHooksOnlyWhereItExists() {
        java.util.Properties none = new java.util.Properties();
        assertThat(HookPoint.classesInUse(25, none, false)).contains("sun.net.NetHooks", "sun.nio.ch.Net");
        assertThat(HookPoint.classesInUse(26, none, false)).contains("sun.nio.ch.Net")
                .doesNotContain("sun.net.NetHooks");
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] instrumentNet(byte[] net, List<String> instrumented) throws IOException {
        List<HookPoint> points = new ArrayList<HookPoint>();
        for (HookPoint p : HookPoint.values()) {
            if (p.owner().equals(NET)) {
                points.add(p);
            }
        }
        assertThat(points).contains(HookPoint.NET_BIND, HookPoint.NET_CONNECT);
        BindTransformer t = new BindTransformer(java.util.EnumSet.copyOf(points));
        byte[] out = t.instrument(net, points);
        instrumented.addAll(t.instrumented());
        return out;
    }

    static byte[] netClass() throws IOException {
        try (InputStream in = Object.class.getResourceAsStream("/" + NET + ".class")) {
            assertThat(in).as(NET + ".class of this JDK").isNotNull();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    private static MethodNode method(byte[] bytes, String name, String desc) {
        for (MethodNode m : node(bytes).methods) {
            if (m.name.equals(name) && m.desc.equals(desc)) {
                return m;
            }
        }
        throw new AssertionError(name + desc + " not found");
    }

    private static String firstCall(MethodNode m) {
        for (AbstractInsnNode n : real(m)) {
            if (n instanceof MethodInsnNode) {
                return ((MethodInsnNode) n).owner + "." + ((MethodInsnNode) n).name;
            }
        }
        return null;
    }
}
