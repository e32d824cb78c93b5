package io.portres.agent.hook;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The patcher on a class built to stress it ({@code fixture.FakeNet}), loaded and run by this JVM: HotSpot's own
 * verifier checks the stack map frames when the class links, and the calls show the inlined code's behaviour.
 */
class ClassFilePatcherTest {

    private static final String FAKE_NET = "io/portres/agent/hook/fixture/FakeNet";

    @Test
    void patchedMethodRunsTheHookAroundTheUnchangedBody() throws Throwable {
        Method bind = loadPatched();
        List<String> log = logOf(bind);

        call(bind, 10);
        assertThat(log).containsExactly("before 0 10", "body", "body", "body", "body", "body", "case 2", "ten", "big",
                "bridge bind0 10");
    }

    @Test
    void thePortReturnedByBeforeIsTheOneBound() throws Throwable {
        Method bind = loadPatched();
        List<String> log = logOf(bind);

        call(bind, 7); // the fake bridge turns 7 into 1000
        assertThat(log).containsSubsequence("before 0 7", "case 0", "thousand", "big", "bridge bind0 1000");
    }

    @Test
    void anExceptionOfTheBodyIsReportedAndRethrownUnchanged() throws Exception {
        Method bind = loadPatched();
        List<String> log = logOf(bind);

        assertThatThrownBy(() -> call(bind, 13)).isInstanceOf(IOException.class).hasMessage("thirteen");
        assertThat(log).endsWith("afterThrow 0 thirteen");
    }

    @Test
    void theMethodsOwnHandlerStillComesFirst() throws Throwable {
        Method bind = loadPatched();
        List<String> log = logOf(bind);

        call(bind, 14);
        assertThat(log).containsSubsequence("big", "own handler fourteen", "bridge bind0 14");
        assertThat(log).noneMatch(s -> s.startsWith("afterThrow"));
    }

    @Test
    void theResultPassesAsmAnalysisAndKeepsEveryOtherMethod() throws Exception {
        byte[] original = resource(FAKE_NET + ".class");
        byte[] patched = patch(original);
        ClassNode before = node(original);
        ClassNode after = node(patched);
        assertThat(after.methods).hasSameSizeAs(before.methods);
        for (MethodNode m : after.methods) {
            new Analyzer<>(new BasicVerifier()).analyze(after.name, m);
        }
    }

    @Test
    void aClassWithoutTheHookedMethodIsLeftAlone() throws Exception {
        byte[] bytes = resource("io/portres/agent/hook/fixture/FakeBridge.class");
        assertThat(new BindTransformer(java.util.EnumSet.of(HookPoint.NET_BIND))
                .instrument(bytes, Collections.singletonList(HookPoint.NET_BIND))).isNull();
    }

    @Test
    void instructionLengthsWalkEveryMethodOfAJdkClassExactly() throws Exception {
        // the walk must land exactly on the end of each method's code; a wrong length table would not
        for (String name : Arrays.asList("java/lang/String.class", "java/util/HashMap.class",
                "java/lang/Character.class")) {
            byte[] bytes = resource(name);
            ClassNode n = node(bytes);
            for (MethodNode m : n.methods) {
                if (m.instructions.size() == 0) {
                    continue;
                }
                org.objectweb.asm.tree.analysis.Frame<?>[] ignored =
                        new Analyzer<>(new BasicVerifier()).analyze(n.name, m); // parses fine
                assertThat(ignored).isNotNull();
            }
            assertThat(ClassFilePatcher.read(bytes).methodCount()).isEqualTo(n.methods.size());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] patch(byte[] original) throws IOException {
        BindTransformer t = new BindTransformer(java.util.EnumSet.of(HookPoint.NET_BIND));
        byte[] out = t.instrument(original, Collections.singletonList(HookPoint.NET_BIND));
        assertThat(out).isNotNull();
        assertThat(t.instrumented()).containsExactly("io.portres.agent.hook.fixture.FakeNet.bind");
        return out;
    }

    /** Loads the patched FakeNet and the fake bridge (as sun.nio.ch.PortresBridge) in a loader of their own. */
    private static Method loadPatched() throws Exception {
        final byte[] net = patch(resource(FAKE_NET + ".class"));
        final byte[] bridge = ClassRenamer.rename(resource("io/portres/agent/hook/fixture/FakeBridge.class"),
                "io/portres/agent/hook/fixture/FakeBridge", HookMethods.BRIDGE);
        ClassLoader loader = new ClassLoader(ClassFilePatcherTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null && name.equals("io.portres.agent.hook.fixture.FakeNet")) {
                        c = defineClass(name, net, 0, net.length);
                    } else if (c == null && name.equals("sun.nio.ch.PortresBridge")) {
                        c = defineClass(name, bridge, 0, bridge.length);
                    } else if (c == null) {
                        return super.loadClass(name, resolve);
                    }
                    return c;
                }
            }
        };
        List<String> log = Collections.synchronizedList(new ArrayList<String>());
        Class<?> fakeNet = Class.forName("io.portres.agent.hook.fixture.FakeNet", true, loader); // links: verifies
        fakeNet.getField("log").set(null, log);
        Class.forName("sun.nio.ch.PortresBridge", true, loader).getField("log").set(null, log);
        Method bind = fakeNet.getDeclaredMethod("bind", ProtocolFamily.class, FileDescriptor.class,
                InetAddress.class, int.class);
        bind.setAccessible(true);
        return bind;
    }

    @SuppressWarnings("unchecked")
    private static List<String> logOf(Method bind) throws Exception {
        return (List<String>) bind.getDeclaringClass().getField("log").get(null);
    }

    private static void call(Method bind, int port) throws Throwable {
        try {
            bind.invoke(null, null, new FileDescriptor(), InetAddress.getLoopbackAddress(), port);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static byte[] resource(String name) throws IOException {
        InputStream in = ClassLoader.getSystemResourceAsStream(name);
        assertThat(in).as(name).isNotNull();
        return io.portres.agent.Streams.readAll(in);
    }

    private static ClassNode node(byte[] bytes) {
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(n, 0);
        return n;
    }
}
