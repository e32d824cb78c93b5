package io.portres.agent.hook;

import io.portres.agent.hook.point.HookPoint;

import io.portres.it.apps.MovesNetBindAgent;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.util.EnumSet;
import java.util.Properties;

import static io.portres.agent.hook.point.HookPoint.LEGACY_TCP_BIND;
import static io.portres.agent.hook.point.HookPoint.LEGACY_UDP_BIND;
import static io.portres.agent.hook.point.HookPoint.NET_BIND;
import static io.portres.agent.hook.point.HookPoint.NET_CONNECT;
import static io.portres.agent.hook.point.HookPoint.TCP_CONNECT;
import static io.portres.agent.hook.point.HookPoint.UDP_CONNECT;
import static io.portres.agent.hook.point.HookPoint.UDP_SEND;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the self-test relies on: which hook points each JDK uses, and the transformer's record of what it applied
 * and why a point of a class it read was not (the method moved or renamed, the test switch).
 */
class HookSelfCheckTest {

    private static final String NET = "sun/nio/ch/Net";

    @Test
    void theHookPointsEachJdkUses() {
        Properties none = new Properties();
        assertThat(HookPoint.inUse(8, none, true)).containsExactly(NET_BIND, LEGACY_TCP_BIND, LEGACY_UDP_BIND,
                TCP_CONNECT, UDP_SEND, UDP_CONNECT);
        assertThat(HookPoint.inUse(8, none, false)).containsExactly(NET_BIND, LEGACY_TCP_BIND, LEGACY_UDP_BIND,
                TCP_CONNECT);
        assertThat(HookPoint.inUse(11, none, true)).containsExactly(NET_BIND, LEGACY_TCP_BIND, LEGACY_UDP_BIND,
                TCP_CONNECT, UDP_CONNECT);
        assertThat(HookPoint.inUse(17, none, true)).containsExactly(NET_BIND, TCP_CONNECT);
        Properties plain = new Properties();
        plain.setProperty("jdk.net.usePlainSocketImpl", "");
        assertThat(HookPoint.inUse(17, plain, false)).containsExactly(NET_BIND, LEGACY_TCP_BIND, TCP_CONNECT);
        assertThat(HookPoint.inUse(21, plain, false)).containsExactly(NET_BIND, TCP_CONNECT);
        assertThat(HookPoint.inUse(25, none, false)).containsExactly(NET_BIND, TCP_CONNECT);
        assertThat(HookPoint.inUse(26, none, false)).as("NetHooks is gone: D'").containsExactly(NET_BIND, NET_CONNECT);
        assertThat(HookPoint.inUse(27, none, true)).containsExactly(NET_BIND, NET_CONNECT);
        assertThat(NET_CONNECT.describe()).isEqualTo("D' sun.nio.ch.Net.connect");
    }

    @Test
    void theTransformerRecordsWhatItApplied() throws Exception {
        BindTransformer t = BindTransformer.forAllHookPointsBut(null);
        assertThat(t.transform(null, NET, null, null, netClass())).isNotNull();
        assertThat(t.applied()).containsExactly(NET_BIND);
        assertThat(t.whyNotApplied(NET_BIND)).isNull();
        assertThat(t.whyNotApplied(NET_CONNECT)).as("this JDK's Net is older than 26")
                .isEqualTo("does not apply to this class's shape");
        assertThat(t.whyNotApplied(TCP_CONNECT)).as("NetHooks was never read").isNull();
    }

    @Test
    void aMovedNativeCallIsRecordedAsNotApplied() throws Exception {
        BindTransformer t = BindTransformer.forAllHookPointsBut(null);
        assertThat(t.transform(null, NET, null, null, MovesNetBindAgent.move(netClass()))).isNull();
        assertThat(t.applied()).isEmpty();
        assertThat(t.whyNotApplied(NET_BIND)).startsWith("the edit failed: ")
                .contains("calls bind0 0 times, expected once");
    }

    @Test
    void aMethodThatNoLongerMatchesIsRecordedAsNotApplied() throws Exception {
        ClassReader r = new ClassReader(netClass());
        ClassWriter w = new ClassWriter(r, 0);
        r.accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exc) {
                boolean hooked = name.equals("bind") && desc.equals(NET_BIND.descriptor());
                return super.visitMethod(access, name, hooked ? desc.replace(";I)V", ";J)V") : desc, sig, exc);
            }
        }, 0);
        BindTransformer t = BindTransformer.forAllHookPointsBut(null);
        assertThat(t.transform(null, NET, null, null, w.toByteArray())).isNull();
        assertThat(t.applied()).isEmpty();
        assertThat(t.whyNotApplied(NET_BIND)).isEqualTo("no method bind" + NET_BIND.descriptor() + " in this class");
    }

    @Test
    void theTestSwitchLeavesAPointOut() throws Exception {
        BindTransformer t = BindTransformer.forAllHookPointsBut("NET_BIND");
        assertThat(t.transform(null, NET, null, null, netClass())).isNull();
        assertThat(t.applied()).isEqualTo(EnumSet.noneOf(HookPoint.class));
        assertThat(t.whyNotApplied(NET_BIND)).isEqualTo("left out by -Dportres.test.skipHook=NET_BIND");
    }

    private static byte[] netClass() throws Exception {
        return NetConnectHookPointTest.netClass();
    }
}
