package sun.nio.ch;

import java.lang.reflect.Method;

/**
 * On JDK 22+ the Windows backend defines this class in {@code java.base} (as the bridge is defined), where it may
 * call the JDK-internal {@code Module.implAddEnableNativeAccess()}: that gives the agent's JNA module native access,
 * so that JNA loading its native library prints no "restricted method" warning on JDK 24+, without
 * {@code --enable-native-access} and without touching the application's own modules (the unnamed ones included).
 * ({@code ModuleLayer.Controller.enableNativeAccess} would do the same but is itself a restricted method, and warns.)
 */
public final class PortresNativeAccess {

    private PortresNativeAccess() {
    }

    /** Enables native access for {@code module}, a named {@code java.lang.Module}. */
    public static void enable(Object module) throws Exception {
        Method m = module.getClass().getDeclaredMethod("implAddEnableNativeAccess");
        m.setAccessible(true); // allowed: this class is in java.base when it runs
        m.invoke(module);
    }
}
