package io.portres.agent.hook;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A raw {@link ClassFileTransformer}: it rewrites only the few JDK classes of {@link HookPoint}, with
 * {@link ClassFilePatcher}, and returns {@code null} (no change) for everything else after one map look-up. Byte
 * Buddy's {@code AgentBuilder} would cost 400-800 ms of start-up, ASM about 14 ms at the first bind; this costs
 * about 1 ms.
 *
 * <p>A transformer must never throw (the JVM would silently load the class unchanged anyway) and must not log
 * while a class is being defined: failures are collected and reported later by the installer.
 */
public final class BindTransformer implements ClassFileTransformer {

    private final Map<String, List<HookPoint>> pointsByOwner = new HashMap<String, List<HookPoint>>();
    private final List<String> instrumented = Collections.synchronizedList(new ArrayList<String>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<String>());

    public BindTransformer(Set<HookPoint> points) {
        for (HookPoint p : points) {
            List<HookPoint> list = pointsByOwner.get(p.owner);
            if (list == null) {
                list = new ArrayList<HookPoint>(2);
                pointsByOwner.put(p.owner, list);
            }
            list.add(p);
        }
    }

    public static BindTransformer forAllHookPoints() {
        return new BindTransformer(EnumSet.allOf(HookPoint.class));
    }

    /** Binary names of the classes this transformer rewrites. */
    public Set<String> targetClassNames() {
        Set<String> names = new HashSet<String>();
        for (String owner : pointsByOwner.keySet()) {
            names.add(owner.replace('/', '.'));
        }
        return names;
    }

    /** "owner.method" of every method instrumented so far. */
    public List<String> instrumented() {
        synchronized (instrumented) {
            return new ArrayList<String>(instrumented);
        }
    }

    public List<String> failures() {
        synchronized (failures) {
            return new ArrayList<String>(failures);
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (loader != null || className == null) {
            return null; // every target is a bootstrap class
        }
        List<HookPoint> points = pointsByOwner.get(className);
        if (points == null) {
            return null;
        }
        try {
            return instrument(classfileBuffer, points);
        } catch (Throwable t) {
            failures.add(className + ": " + t);
            return null;
        }
    }

    byte[] instrument(byte[] classfile, List<HookPoint> points) throws java.io.IOException {
        ClassFilePatcher cls = ClassFilePatcher.read(classfile);
        List<HookPoint> applicable = new ArrayList<HookPoint>(points.size());
        for (HookPoint p : points) {
            if (appliesTo(cls, p)) {
                applicable.add(p);
            }
        }
        if (applicable.isEmpty()) {
            return null;
        }
        return cls.patch(applicable, instrumented);
    }

    static boolean appliesTo(ClassFilePatcher cls, HookPoint p) throws java.io.IOException {
        if (!cls.hasMethod(p.method, p.descriptor)) {
            return false;
        }
        switch (p) {
            case UDP_SEND:
                // JDK 11+ send() binds explicitly through beginWrite -> bindInternal -> Net.bind.
                return !cls.hasMethodStartingWith("beginWrite", "(") && cls.fieldDescriptor("localAddress") != null;
            case UDP_CONNECT:
                // JDK 17+ connect(SocketAddress) delegates to connect(SocketAddress, boolean), which binds.
                return !cls.hasMethodStartingWith("connect", "(Ljava/net/SocketAddress;Z)")
                        && cls.fieldDescriptor("localAddress") != null;
            default:
                return cls.majorVersion() >= p.minClassFileVersion;
        }
    }
}
