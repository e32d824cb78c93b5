package io.portres.agent.hook;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;

import java.lang.reflect.Method;

import static org.assertj.core.api.Assertions.assertThat;

class ClassRenamerTest {

    private static final String FROM = "io/portres/agent/hook/fixture/SelfReferencing";
    private static final String TO = "sun/nio/ch/Renamed";

    @Test
    void renamesTheClassAndEveryDescriptorThatNamesIt() throws Exception {
        byte[] original = io.portres.agent.Streams.readAll(
                ClassLoader.getSystemResourceAsStream(FROM + ".class"));
        byte[] renamed = ClassRenamer.rename(original, FROM, TO);

        ClassNode n = new ClassNode();
        new ClassReader(renamed).accept(n, 0);
        assertThat(n.name).isEqualTo(TO);
        assertThat(n.fields).anyMatch(f -> f.desc.equals("[L" + TO + ";"));
        assertThat(n.methods).anyMatch(m -> m.desc.equals("(L" + TO + ";)L" + TO + ";"));
        // a string constant is data, not a name: "<name> é" is neither the name nor contains L<name>;
        assertThat(n.fields).anyMatch(f -> ("io/portres/agent/hook/fixture/SelfReferencing é").equals(f.value));
        assertThat(new String(renamed, "ISO-8859-1")).doesNotContain("L" + FROM + ";");

        Class<?> c = new ClassLoader(null) {
            Class<?> define() {
                return defineClass("sun.nio.ch.Renamed", renamed, 0, renamed.length);
            }
        }.define();
        Method make = c.getMethod("make", c);
        Object made = make.invoke(null, (Object) null);
        assertThat(c.getMethod("count").invoke(made)).isEqualTo(1);
    }

    @Test
    void aClassThatDoesNotNameItLeavesTheBytesUnchanged() throws Exception {
        byte[] original = io.portres.agent.Streams.readAll(ClassLoader.getSystemResourceAsStream(
                "io/portres/agent/hook/fixture/FakeBridge.class"));
        assertThat(ClassRenamer.rename(original, "no/such/Name", "other/Name")).isEqualTo(original);
    }
}
