package io.portres.agent.hook;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Test access to the package-private patcher and hook points, for tests outside this package. */
public final class PatcherProbe {

    private PatcherProbe() {
    }

    /** Internal names of every class a hook point changes. */
    public static Set<String> owners() {
        Set<String> out = new LinkedHashSet<String>();
        for (HookPoint p : HookPoint.values()) {
            out.add(p.owner);
        }
        return out;
    }

    /** What the agent's transformer returns for this class (null: unchanged). */
    public static byte[] instrument(byte[] classfile, String owner, List<String> instrumented) throws IOException {
        List<HookPoint> points = new ArrayList<HookPoint>();
        for (HookPoint p : HookPoint.values()) {
            if (p.owner.equals(owner)) {
                points.add(p);
            }
        }
        BindTransformer t = new BindTransformer(java.util.EnumSet.copyOf(points));
        byte[] out = t.instrument(classfile, points);
        instrumented.addAll(t.instrumented());
        return out;
    }

    public static boolean isHooked(String owner, String method, String descriptor) {
        for (HookPoint p : HookPoint.values()) {
            if (p.owner.equals(owner) && p.method.equals(method) && p.descriptor.equals(descriptor)) {
                return true;
            }
        }
        return false;
    }

    /** "owner.name+descriptor" of the native bind call the hook replaces in this method, or null. */
    public static String nativeCall(String owner, String method, String descriptor) {
        for (HookPoint p : HookPoint.values()) {
            if (p.owner.equals(owner) && p.method.equals(method) && p.descriptor.equals(descriptor)) {
                HookMethods.CallReplacement r = HookMethods.callReplacement(p);
                return r == null ? null : owner + "." + r.name + r.descriptor;
            }
        }
        return null;
    }
}
