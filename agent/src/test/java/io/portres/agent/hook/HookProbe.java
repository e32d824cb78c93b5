package io.portres.agent.hook;

import io.portres.agent.hook.point.HookPoint;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Test access to the package-private transformer and hook points, for tests outside this package. */
public final class HookProbe {

    private HookProbe() {
    }

    /** Internal names of every class a hook point changes. */
    public static Set<String> owners() {
        Set<String> out = new LinkedHashSet<String>();
        for (HookPoint p : HookPoint.values()) {
            out.add(p.owner());
        }
        return out;
    }

    /** What the agent's transformer returns for this class (null: unchanged); notes and failures are added. */
    public static byte[] instrument(byte[] classfile, String owner, List<String> instrumented, List<String> notes) {
        List<HookPoint> points = new ArrayList<HookPoint>();
        for (HookPoint p : HookPoint.values()) {
            if (p.owner().equals(owner)) {
                points.add(p);
            }
        }
        BindTransformer t = new BindTransformer(java.util.EnumSet.copyOf(points));
        byte[] out = t.transform(null, owner, null, null, classfile);
        instrumented.addAll(t.instrumented());
        notes.addAll(t.notes());
        notes.addAll(t.failures());
        return out;
    }

    public static boolean isHooked(String owner, String method, String descriptor) {
        return point(owner, method, descriptor) != null;
    }

    /** "owner.name+descriptor" of the native bind call the hook replaces in this method, or null. */
    public static String nativeCall(String owner, String method, String descriptor) {
        HookPoint p = point(owner, method, descriptor);
        return p == null ? null : p.nativeCall();
    }

    private static HookPoint point(String owner, String method, String descriptor) {
        for (HookPoint p : HookPoint.values()) {
            if (p.owner().equals(owner) && p.method().equals(method) && p.descriptor().equals(descriptor)) {
                return p;
            }
        }
        return null;
    }
}
