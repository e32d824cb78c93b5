package io.portres.agent.backend.windows;

import java.io.FileDescriptor;
import java.lang.reflect.Field;

/**
 * The second socket of a legacy two-stack socket. On Windows without dual-stack support (or with
 * {@code java.net.preferIPv4Stack=false} on old JDK 8 builds), {@code TwoStacksPlainSocketImpl} and
 * {@code TwoStacksPlainDatagramSocketImpl} keep an IPv4 socket in {@code fd} and an IPv6 one in {@code fd1}, and a
 * wildcard bind binds both: both must be associated. Read reflectively: {@code java.net} is opened to the agent's
 * module at start-up (JDK 9+).
 */
final class TwoStacks {

    private TwoStacks() {
    }

    /**
     * The local port a two-stack impl recorded after its bind ({@code localPort}/{@code localport}), or -1 (not a
     * two-stack impl, or unreadable).
     */
    static int boundPort(Object legacyImpl) {
        if (!isTwoStacks(legacyImpl)) {
            return -1;
        }
        for (Class<?> k = legacyImpl.getClass(); k != null; k = k.getSuperclass()) {
            for (String name : new String[] {"localPort", "localport"}) {
                try {
                    Field f = k.getDeclaredField(name);
                    f.setAccessible(true);
                    return f.getInt(legacyImpl);
                } catch (NoSuchFieldException notHere) {
                    // the other name, or the superclass
                } catch (Exception | LinkageError inaccessible) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static boolean isTwoStacks(Object impl) {
        String n = impl == null ? "" : impl.getClass().getName();
        return n.endsWith("TwoStacksPlainSocketImpl") || n.endsWith("TwoStacksPlainDatagramSocketImpl");
    }

    /**
     * {@code fd1} of a two-stack impl when it holds a socket, else null (not a two-stack impl, or IPv4 only).
     * Throws IllegalStateException when the field cannot be read.
     */
    static FileDescriptor secondSocket(Object legacyImpl) {
        if (!isTwoStacks(legacyImpl)) {
            return null;
        }
        Class<?> c = legacyImpl.getClass();
        String n = c.getName();
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField("fd1");
                f.setAccessible(true);
                Object fd = f.get(legacyImpl);
                return fd instanceof FileDescriptor && ((FileDescriptor) fd).valid() ? (FileDescriptor) fd : null;
            } catch (NoSuchFieldException notHere) {
                // look in the superclass
            } catch (Exception | LinkageError inaccessible) {
                throw new IllegalStateException("cannot read the second socket (fd1) of " + n + ": " + inaccessible);
            }
        }
        return null;
    }
}
