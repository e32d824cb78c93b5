package io.portres.agent.hook;

import io.portres.agent.backend.Backends;

import io.portres.agent.hook.point.Sites;
import io.portres.agent.hook.point.HookPoint;

import io.portres.agent.hook.fixture.CallLog;
import io.portres.agent.hook.fixture.FakeBridge;
import io.portres.agent.hook.fixture.FakeNet;
import io.portres.agent.hook.fixture.FakeNetHooks;
import io.portres.agent.hook.fixture.FakeTcpImpl;
import io.portres.agent.hook.fixture.TwiceBound;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.BasicVerifier;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ProtocolFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hook's edits on fixture classes shaped like the JDK's, loaded and run by this JVM (HotSpot verifies them as they
 * link, stack map frames included) against a fake bridge, and checked with the reference ASM's analyzer.
 * {@code PatchedJdkClassesIT} applies the same edits to every JDK's real classes.
 */
class BindTransformerTest {

    private static final int PUBLIC_STATIC = org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_STATIC;

    @BeforeEach
    void clearLog() {
        CallLog.LOG.clear();
    }

    @Test
    void theNativeBindCallGoesToTheBridgeWithTheJdksOwnArguments() throws Throwable {
        Method bind = load(FakeNet.class, HookPoint.NET_BIND).getDeclaredMethod("bind", ProtocolFamily.class,
                FileDescriptor.class, InetAddress.class, int.class);

        invoke(bind, null, new FileDescriptor(), InetAddress.getLoopbackAddress(), 10);
        assertThat(CallLog.LOG).containsExactly("body", "case 2", "ten", "big", "bridge netBind0 true true 10",
                "after bind0");
    }

    @Test
    void theMethodsOwnHandlerAndTheBridgesExceptionPassUnchanged() throws Throwable {
        Method bind = load(FakeNet.class, HookPoint.NET_BIND).getDeclaredMethod("bind", ProtocolFamily.class,
                FileDescriptor.class, InetAddress.class, int.class);

        invoke(bind, null, new FileDescriptor(), InetAddress.getLoopbackAddress(), 14);
        assertThat(CallLog.LOG).containsSubsequence("own handler fourteen", "bridge netBind0 true true 14");
        CallLog.LOG.clear();
        assertThatThrownBy(() -> invoke(bind, null, null, InetAddress.getLoopbackAddress(), 13))
                .isInstanceOf(IOException.class).hasMessage("thirteen");
        assertThat(CallLog.LOG).endsWith("bridge netBind0 false true 13");
    }

    @Test
    void onlyTheHookedMethodChangesAndItPassesAnalysis() throws Exception {
        byte[] original = classFile(FakeNet.class);
        BindTransformer t = new BindTransformer(EnumSet.of(HookPoint.NET_BIND));
        byte[] edited = t.instrument(original, Collections.singletonList(HookPoint.NET_BIND));
        assertThat(t.instrumented()).containsExactly("sun.nio.ch.Net.bind");
        ClassNode before = node(original);
        ClassNode after = node(edited);
        assertThat(after.methods).hasSameSizeAs(before.methods);
        for (int i = 0; i < after.methods.size(); i++) {
            MethodNode a = after.methods.get(i);
            new Analyzer<>(new BasicVerifier()).analyze(after.name, a);
            List<String> calls = calls(a);
            if (a.desc.equals(HookPoint.NET_BIND.descriptor())) {
                assertThat(calls).contains("sun/nio/ch/PortresBridge.netBind0")
                        .doesNotContain(FakeNet.class.getName().replace('.', '/') + ".bind0");
                assertThat(a.instructions.size()).isEqualTo(before.methods.get(i).instructions.size());
            } else {
                assertThat(calls).isEqualTo(calls(before.methods.get(i)));
            }
        }
    }

    @Test
    void theLegacyImplsCallBecomesAStaticBridgeCallWithTheImplFirst() throws Throwable {
        Class<?> impl = load(FakeTcpImpl.class, HookPoint.LEGACY_TCP_BIND);
        Object instance = impl.getDeclaredConstructor().newInstance();
        Method bind = impl.getDeclaredMethod("bind", InetAddress.class, int.class);
        bind.setAccessible(true);

        invokeOn(instance, bind, InetAddress.getLoopbackAddress(), 8080);
        assertThat(CallLog.LOG).containsExactly("legacy body", "bridge legacyTcpBind FakeTcpImpl 8080",
                "legacy bound");
    }

    @Test
    void theImplicitTcpHookCallsTheBridgeFirstThenRunsTheOriginalBody() throws Throwable {
        Method hook = load(FakeNetHooks.class, HookPoint.TCP_CONNECT).getDeclaredMethod("beforeTcpConnect",
                FileDescriptor.class, InetAddress.class, int.class);

        invoke(hook, new FileDescriptor(), InetAddress.getLoopbackAddress(), 443);
        assertThat(CallLog.LOG).containsExactly("bridge implicitTcpBind true 127.0.0.1", "hooks body 443");
    }

    @Test
    void theJdk26ConnectHookAppliesToClassFilesOf26AndLaterOnly() throws Exception {
        byte[] classFile = classFile(FakeNet.class);
        BindTransformer old = new BindTransformer(EnumSet.of(HookPoint.NET_CONNECT));
        assertThat(old.instrument(classFile, Collections.singletonList(HookPoint.NET_CONNECT))).isNull();

        classFile[6] = 0;
        classFile[7] = 70; // JDK 26
        BindTransformer t = new BindTransformer(EnumSet.of(HookPoint.NET_CONNECT));
        byte[] edited = t.instrument(classFile, Collections.singletonList(HookPoint.NET_CONNECT));
        assertThat(t.instrumented()).containsExactly("sun.nio.ch.Net.connect");
        MethodNode connect = node(edited).methods.stream().filter(m -> m.name.equals("connect")).findFirst().get();
        new Analyzer<>(new BasicVerifier()).analyze("x", connect);
        List<AbstractInsnNode> code = new ArrayList<AbstractInsnNode>();
        for (AbstractInsnNode n : connect.instructions) {
            if (n.getOpcode() >= 0) {
                code.add(n);
            }
        }
        assertThat(((org.objectweb.asm.tree.VarInsnNode) code.get(0)).var).as("fd").isEqualTo(1);
        assertThat(((org.objectweb.asm.tree.VarInsnNode) code.get(1)).var).as("remote").isEqualTo(2);
        MethodInsnNode call = (MethodInsnNode) code.get(2);
        assertThat(call.owner + "." + call.name + call.desc)
                .isEqualTo("sun/nio/ch/PortresBridge.implicitTcpConnect(Ljava/io/FileDescriptor;Ljava/net/InetAddress;)V");
        assertThat(calls(connect)).endsWith("io/portres/agent/hook/fixture/CallLog.add");
    }

    @Test
    void aMethodOfAnUnstudiedShapeIsLeftAloneAndReported() throws Exception {
        BindTransformer t = new BindTransformer(EnumSet.of(HookPoint.NET_BIND));
        byte[] out = t.transform(null, "sun/nio/ch/Net", null, null, classFile(TwiceBound.class));
        assertThat(out).isNull();
        assertThat(t.failures()).singleElement().asString().contains("bind0 2 times, expected once");
        assertThat(t.instrumented()).isEmpty();
    }

    @Test
    void aClassWithoutTheHookedMethodIsLeftAlone() throws Exception {
        BindTransformer t = new BindTransformer(EnumSet.of(HookPoint.NET_BIND));
        assertThat(t.instrument(classFile(FakeBridge.class), Collections.singletonList(HookPoint.NET_BIND)))
                .isNull();
        assertThat(t.failures()).isEmpty();
    }

    @Test
    void classesOtherThanTheHookedOnesAreNotEvenRead() {
        BindTransformer t = BindTransformer.forHookPoints(true);
        byte[] garbage = {1, 2, 3};
        assertThat(t.transform(null, "java/lang/String", null, null, garbage)).isNull();
        assertThat(t.transform(ClassLoader.getSystemClassLoader(), "sun/nio/ch/Net", null, null, garbage)).isNull();
        assertThat(t.failures()).isEmpty();
    }

    @Test
    void theChannelBindEntriesAreLeftOutWhereTheWindowsBackendCannotRun() {
        assertThat(BindTransformer.forHookPoints(true).targetClassNames()).contains(
                "sun.nio.ch.ServerSocketChannelImpl", "sun.nio.ch.SocketChannelImpl", "sun.nio.ch.DatagramChannelImpl",
                "sun.nio.ch.Net", "sun.net.NetHooks");
        assertThat(BindTransformer.forHookPoints(false).targetClassNames())
                .doesNotContain("sun.nio.ch.ServerSocketChannelImpl", "sun.nio.ch.SocketChannelImpl")
                .as("E still hooks DatagramChannelImpl's send and connect").contains("sun.nio.ch.DatagramChannelImpl",
                        "sun.nio.ch.Net", "sun.net.NetHooks", "java.net.AbstractPlainSocketImpl");
        assertThat(Backends.mayChooseWindows(null, "Linux")).isFalse();
        assertThat(Backends.mayChooseWindows("auto", "Linux")).isFalse();
        assertThat(Backends.mayChooseWindows("linux", "Windows Server 2022")).isFalse();
        assertThat(Backends.mayChooseWindows("windows", "Linux")).as("the simulator's tests").isTrue();
        assertThat(Backends.mayChooseWindows(null, "Windows 11")).isTrue();
        assertThat(Backends.mayChooseWindows("AUTO", "Windows 10")).isTrue();
    }

    @Test
    void aClassFileNewerThanTheBundledAsmIsEditedExperimentallyAndNoted() throws Exception {
        byte[] future = classFile(FakeNet.class);
        int major = ClassFileVersion.latest().getMajorVersion() + 1;
        future[6] = (byte) (major >>> 8);
        future[7] = (byte) major;
        byte[] copy = future.clone();
        BindTransformer t = new BindTransformer(EnumSet.of(HookPoint.NET_BIND));

        byte[] edited = t.instrument(future, Collections.singletonList(HookPoint.NET_BIND));

        assertThat(future).as("the JVM's buffer is not modified").isEqualTo(copy);
        assertThat(edited).isNotNull();
        assertThat(((edited[6] & 0xff) << 8) | (edited[7] & 0xff)).as("the class keeps its version").isEqualTo(major);
        assertThat(t.notes()).singleElement().asString().contains("newer than the bundled ASM")
                .contains("read experimentally");
        future[6] = 0;
        future[7] = 52;
        BindTransformer current = new BindTransformer(EnumSet.of(HookPoint.NET_BIND));
        current.instrument(future, Collections.singletonList(HookPoint.NET_BIND));
        assertThat(current.notes()).isEmpty();
    }

    @Test
    void theBridgesSiteNumbersAreTheDispatchersAndItsMethodsTheOnesTheEditsCall() throws Exception {
        InputStream in = BindTransformerTest.class.getClassLoader()
                .getResourceAsStream(BridgeInstaller.BRIDGE_RESOURCES + HookPoint.BRIDGE + ".class");
        assertThat(in).as("the bridge module's class in the agent's resources").isNotNull();
        ClassNode bridge = node(io.portres.agent.Streams.readAll(in));
        Map<String, Object> constants = new HashMap<String, Object>();
        for (FieldNode f : bridge.fields) {
            constants.put(f.name, f.value);
        }
        assertThat(constants).containsEntry("NET_BIND", Sites.NET_BIND)
                .containsEntry("LEGACY_TCP_BIND", Sites.LEGACY_TCP_BIND)
                .containsEntry("LEGACY_UDP_BIND", Sites.LEGACY_UDP_BIND)
                .containsEntry("IMPLICIT_TCP", Sites.IMPLICIT_TCP)
                .containsEntry("IMPLICIT_TCP_ON_CONNECT", Sites.IMPLICIT_TCP_ON_CONNECT);
        List<String> methods = new ArrayList<String>();
        for (MethodNode m : bridge.methods) {
            if ((m.access & PUBLIC_STATIC) == PUBLIC_STATIC) {
                methods.add(m.name + m.desc);
            }
        }
        for (HookPoint p : HookPoint.values()) {
            assertThat(methods).as(p.name()).contains(p.bridgeCall());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Loads the fixture, edited by the hook point, and the fake bridge as sun.nio.ch.PortresBridge. */
    private static Class<?> load(Class<?> fixture, HookPoint point) throws Exception {
        BindTransformer t = new BindTransformer(EnumSet.of(point));
        final byte[] edited = t.instrument(classFile(fixture), Collections.singletonList(point));
        assertThat(edited).as("edited").isNotNull();
        assertThat(t.failures()).isEmpty();
        final String fixtureName = fixture.getName();
        final byte[] bridge = new ByteBuddy().redefine(FakeBridge.class).name("sun.nio.ch.PortresBridge").make()
                .getBytes();
        ClassLoader loader = new ClassLoader(BindTransformerTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null && name.equals(fixtureName)) {
                        c = defineClass(name, edited, 0, edited.length);
                    } else if (c == null && name.equals("sun.nio.ch.PortresBridge")) {
                        c = defineClass(name, bridge, 0, bridge.length);
                    } else if (c == null) {
                        return super.loadClass(name, resolve);
                    }
                    return c;
                }
            }
        };
        Class<?> c = Class.forName(fixtureName, true, loader); // links: HotSpot verifies the edited code
        assertThat(c.getClassLoader()).isSameAs(loader);
        return c;
    }

    private static void invoke(Method staticMethod, Object... args) throws Throwable {
        invokeOn(null, staticMethod, args);
    }

    private static void invokeOn(Object self, Method m, Object... args) throws Throwable {
        m.setAccessible(true);
        try {
            m.invoke(self, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static byte[] classFile(Class<?> c) throws IOException {
        InputStream in = c.getClassLoader().getResourceAsStream(c.getName().replace('.', '/') + ".class");
        assertThat(in).isNotNull();
        return io.portres.agent.Streams.readAll(in);
    }

    private static ClassNode node(byte[] bytes) {
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(n, 0);
        return n;
    }

    private static List<String> calls(MethodNode m) {
        List<String> out = new ArrayList<String>();
        for (AbstractInsnNode n : m.instructions) {
            if (n instanceof MethodInsnNode) {
                out.add(((MethodInsnNode) n).owner + "." + ((MethodInsnNode) n).name);
            }
        }
        return out;
    }

    /**
     * premain's warm-up must run the bytecode library's whole round trip: a class file it wrote wrong would make ASM
     * throw half way (silently: a warm-up never throws), leaving the rest of the library cold. So the class it writes
     * and rewrites must be one the JVM loads, verifies and runs.
     */
    @Test
    void theWarmUpWritesAndRewritesAClassTheJvmVerifiesAndRuns() throws Exception {
        final byte[] bytes = BindTransformer.warmUpRoundTrip();
        ClassNode node = new ClassNode();
        new ClassReader(bytes).accept(node, 0);
        assertThat(node.name).isEqualTo("io/portres/agent/hook/WarmUp");
        for (MethodNode m : node.methods) {
            new Analyzer<>(new BasicVerifier()).analyze(node.name, m);
        }
        ClassLoader loader = new ClassLoader(null) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (!name.equals("io.portres.agent.hook.WarmUp")) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, bytes, 0, bytes.length);
            }
        };
        Method m = Class.forName("io.portres.agent.hook.WarmUp", true, loader).getDeclaredMethod("m", int.class);
        m.setAccessible(true);
        assertThat(m.invoke(null, 3)).isEqualTo(0);
    }
}
