package io.portres.it.apps;

import java.lang.reflect.Method;
import java.net.ServerSocket;

/**
 * An application that ships its own (different) Byte Buddy, SnakeYAML Engine, SnakeYAML and JNA, and uses each,
 * then binds a socket. Everything through reflection, so the test sources need none of them at compile time.
 * Prints {@code <library> <jar it was loaded from>} per library.
 */
public final class ConflictingLibraries {
    public static void main(String[] args) throws Exception {
        ClassLoader cl = ConflictingLibraries.class.getClassLoader();

        Class<?> settingsClass = Class.forName("org.snakeyaml.engine.v2.api.LoadSettings", true, cl);
        Object builder = settingsClass.getMethod("builder").invoke(null);
        Object settings = builder.getClass().getMethod("build").invoke(builder);
        Class<?> load = Class.forName("org.snakeyaml.engine.v2.api.Load", true, cl);
        Object loader = load.getConstructor(settingsClass).newInstance(settings);
        Object doc = load.getMethod("loadFromString", String.class).invoke(loader, "a: 1");
        System.out.println("snakeyaml-engine " + where(load) + " " + doc);

        Class<?> yaml = Class.forName("org.yaml.snakeyaml.Yaml", true, cl);
        Object y = yaml.getConstructor().newInstance();
        System.out.println("snakeyaml " + where(yaml) + " " + yaml.getMethod("load", String.class).invoke(y, "b: 2"));

        Class<?> byteBuddy = Class.forName("net.bytebuddy.ByteBuddy", true, cl);
        Object bb = byteBuddy.getConstructor().newInstance();
        Object builderBb = byteBuddy.getMethod("subclass", Class.class).invoke(bb, Object.class);
        Object unloaded = builderBb.getClass().getMethod("make").invoke(builderBb);
        Method loadMethod = unloaded.getClass().getMethod("load", ClassLoader.class);
        Object loaded = loadMethod.invoke(unloaded, cl);
        Class<?> made = (Class<?>) loaded.getClass().getMethod("getLoaded").invoke(loaded);
        System.out.println("byte-buddy " + where(byteBuddy) + " " + (made.getSuperclass() == Object.class));

        Class<?> platform = Class.forName("com.sun.jna.Platform", true, cl);
        Class<?> nativeClass = Class.forName("com.sun.jna.Native", true, cl);
        Object pointerSize = nativeClass.getField("POINTER_SIZE").get(null); // loads jnidispatch
        System.out.println("jna " + where(platform) + " " + pointerSize);

        ServerSocket s = new ServerSocket(0);
        System.out.println("bound " + s.getLocalPort());
        s.close();
    }

    private static String where(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation().getPath();
    }
}
