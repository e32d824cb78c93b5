package sun.nio.ch;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * A fresh, unassociated socket in place of one that a port reservation holds for good: {@code onError: continue}
 * after a full block on Windows, where {@code SIO_ASSOCIATE_PORT_RESERVATION} cannot be undone and every later bind
 * of the socket to port 0 draws from the full block again.
 *
 * <p>Windows has no {@code dup2} for sockets, so the new socket cannot take the old one's handle value: the JDK's
 * objects are pointed at the new handle instead, before the JDK's own native bind is made (as requested) on it:
 * <ul>
 *   <li>the {@code FileDescriptor} that the socket code holds ({@code fd}; for a two-stack legacy impl {@code fd1}
 *       too), which is all that {@code NioSocketImpl} and the legacy impls read;</li>
 *   <li>the channels' own copy of the handle ({@code fdVal}, read by selectors at registration): the channel is the
 *       one the bridge saw entering its bind on this thread ({@link PortresBridge#bindingChannel}), checked to hold
 *       this very {@code FileDescriptor};</li>
 *   <li>a legacy impl's {@code SocketCleanable} (JDK 11-17), which holds the handle value it closes.</li>
 * </ul>
 * The new socket is made by the JDK's own {@code Net.socket0} (the family and type of the old one), gets every socket
 * option that the old one had and a fresh socket has not (SO_REUSEADDR, SO_RCVBUF, IPV6_V6ONLY, ...), a channel's
 * non-blocking mode, and the old socket is closed. Refused (a sentence saying why, nothing changed) where that cannot
 * be done safely: an asynchronous channel (its handle is registered with the I/O completion port, or the Unix port, at
 * creation), a channel already registered with a selector, a caller that is none of the JDK's socket classes.
 *
 * <p>Defined in {@code java.base} on first use only (as the bridge is); JDK types only, reflection only.
 */
@SuppressWarnings("unused") // called through a method handle by the agent
public final class PortresFreshSocket {

    private static final boolean WINDOWS = String.valueOf(System.getProperty("os.name")).startsWith("Windows");
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = WINDOWS ? 27 : 26;
    private static final int SOL_SOCKET = WINDOWS ? 0xffff : 1;
    private static final int SO_TYPE = WINDOWS ? 0x1008 : 3;
    private static final int SO_SNDBUF = WINDOWS ? 0x1001 : 7;
    private static final int SO_RCVBUF = WINDOWS ? 0x1002 : 8;

    /**
     * {level, option} of the int socket options copied when the old socket's value differs from a fresh socket's.
     * Windows: winsock2.h and ws2ipdef.h; Linux: asm-generic/socket.h and netinet/in.h. SO_LINGER goes through
     * {@code Net.get/setIntOption0}'s own linger conversion.
     */
    private static final int[][] OPTIONS = WINDOWS ? new int[][] {
        {0xffff, 0x0004},  // SO_REUSEADDR
        {0xffff, ~0x0004}, // SO_EXCLUSIVEADDRUSE
        {0xffff, 0x0008},  // SO_KEEPALIVE
        {0xffff, 0x0020},  // SO_BROADCAST
        {0xffff, 0x0080},  // SO_LINGER
        {0xffff, 0x0100},  // SO_OOBINLINE
        {0xffff, 0x1001},  // SO_SNDBUF
        {0xffff, 0x1002},  // SO_RCVBUF
        {6, 1},            // TCP_NODELAY
        {0, 3},            // IP_TOS
        {0, 10},           // IP_MULTICAST_TTL
        {0, 11},           // IP_MULTICAST_LOOP
        {41, 27},          // IPV6_V6ONLY
        {41, 10},          // IPV6_MULTICAST_HOPS
        {41, 11},          // IPV6_MULTICAST_LOOP
        {41, 39},          // IPV6_TCLASS
    } : new int[][] {
        {1, 2},            // SO_REUSEADDR
        {1, 15},           // SO_REUSEPORT
        {1, 9},            // SO_KEEPALIVE
        {1, 6},            // SO_BROADCAST
        {1, 13},           // SO_LINGER
        {1, 10},           // SO_OOBINLINE
        {1, 7},            // SO_SNDBUF
        {1, 8},            // SO_RCVBUF
        {6, 1},            // TCP_NODELAY
        {0, 1},            // IP_TOS
        {0, 33},           // IP_MULTICAST_TTL
        {0, 34},           // IP_MULTICAST_LOOP
        {41, 26},          // IPV6_V6ONLY
        {41, 18},          // IPV6_MULTICAST_HOPS
        {41, 19},          // IPV6_MULTICAST_LOOP
        {41, 67},          // IPV6_TCLASS
    };

    private PortresFreshSocket() {
    }

    /**
     * Replaces the socket behind {@code fd} (and {@code fd1} of a two-stack {@code legacyImpl}) with a fresh,
     * unbound one. Returns null when done, else why not (then nothing was changed).
     *
     * @param legacyImpl the legacy {@code SocketImpl}/{@code DatagramSocketImpl} of a legacy bind, else null (a
     *                   bind through {@code sun.nio.ch.Net}: the caller is read from the stack)
     */
    public static String replace(FileDescriptor fd, Object legacyImpl) {
        try {
            Object channel = null;
            FileDescriptor second = null;
            if (legacyImpl != null) {
                Field own = field(legacyImpl.getClass(), "fd");
                if (own.get(legacyImpl) == null) {
                    return recreate(legacyImpl, own, fd);
                }
                second = secondSocket(legacyImpl);
            } else {
                String owner = netBindCaller();
                if (owner == null || owner.contains("Asynchronous")) {
                    return owner == null ? "the bind came from no known JDK socket class"
                            : "an asynchronous channel (" + owner + ") registers its socket with the I/O completion"
                            + " port (Windows) or the event port (Unix) when it is created, so its socket cannot be"
                            + " replaced";
                }
                if (!owner.equals("sun.nio.ch.NioSocketImpl")) { // it reads the FileDescriptor alone
                    channel = PortresBridge.bindingChannel();
                    if (channel == null || invoke(channel, "getFD") != fd) {
                        return "the channel of this bind (" + owner + ") was not seen entering its bind";
                    }
                    if (Boolean.TRUE.equals(invoke(channel, "isRegistered"))) {
                        return "the channel is registered with a selector already, which holds its old socket";
                    }
                }
            }
            boolean nonBlocking = channel != null && Boolean.FALSE.equals(invoke(channel, "isBlocking"));
            Object[] fdVal = channel == null ? null : intWriter(field(channel.getClass(), "fdVal"));
            FileDescriptor first = freshLike(fd, nonBlocking);
            FileDescriptor other;
            try {
                other = second == null ? null : freshLike(second, nonBlocking);
            } catch (Throwable t) {
                close(first);
                throw t;
            }
            int value = install(first, fd);
            if (fdVal != null) {
                ((Method) fdVal[1]).invoke(fdVal[0], channel, fdVal[2], value);
            }
            if (other != null) {
                install(other, second);
            }
            return null;
        } catch (Throwable t) {
            return "the socket could not be replaced: " + (t instanceof InvocationTargetException
                    ? ((InvocationTargetException) t).getCause() : t);
        }
    }

    /**
     * A new socket like {@code old} (family, type, options, blocking mode), made and set up but not yet put in its
     * place; closed again if setting it up fails. (No nested class: only this class is defined in java.base.)
     */
    private static FileDescriptor freshLike(FileDescriptor old, boolean nonBlocking) throws Throwable {
        boolean inet6 = readOption(old, IPPROTO_IPV6, IPV6_V6ONLY) != null;
        Integer type = readOption(old, SOL_SOCKET, SO_TYPE);
        if (type == null || (type != 1 && type != 2)) {
            throw new IOException("the socket's type (SO_TYPE) cannot be read");
        }
        Method socket0 = declared(jdk("sun.nio.ch.Net"), "socket0", boolean.class, boolean.class, boolean.class,
                boolean.class);
        FileDescriptor fresh = newFd((Integer) socket0.invoke(null, inet6, type == 1, false, false));
        try {
            for (int[] o : OPTIONS) {
                Integer was = readOption(old, o[0], o[1]);
                Integer is = readOption(fresh, o[0], o[1]);
                if (was != null && is != null && !was.equals(is)) {
                    // Linux reports twice the buffer size that was set
                    boolean doubled = !WINDOWS && o[0] == SOL_SOCKET && (o[1] == SO_SNDBUF || o[1] == SO_RCVBUF);
                    writeOption(fresh, o[0], o[1], doubled ? was / 2 : was, inet6);
                }
            }
            if (nonBlocking) {
                declared(jdk("sun.nio.ch.IOUtil"), "configureBlocking", FileDescriptor.class, boolean.class)
                        .invoke(null, fresh, false);
            }
        } catch (Throwable t) {
            close(fresh);
            throw t;
        }
        return fresh;
    }

    /**
     * Puts the socket of {@code fresh} into {@code target} and closes {@code target}'s old socket; returns the new
     * handle value.
     */
    private static int install(FileDescriptor fresh, FileDescriptor target) throws Throwable {
        Field handle = field(FileDescriptor.class, "fd");
        Object cleanable = cleanupOf(target);
        Class<?> socketCleanable = cleanable != null && cleanable.getClass().getName()
                .equals("java.net.SocketCleanable") ? cleanable.getClass() : null;
        if (socketCleanable != null) {
            declared(socketCleanable, "unregister", FileDescriptor.class).invoke(null, target);
        }
        int old = handle.getInt(target);
        int value = handle.getInt(fresh);
        handle.setInt(target, value);
        handle.setInt(fresh, old); // now holds the old socket, to be closed
        if (socketCleanable != null) {
            reRegister(socketCleanable, target);
        }
        close(fresh);
        return value;
    }

    /** Closes the socket of {@code fd} as the JDK's socket code does. */
    private static void close(FileDescriptor fd) {
        try {
            Object dispatcher = declaredConstructor(jdk("sun.nio.ch.SocketDispatcher"));
            declared(jdk("sun.nio.ch.NativeDispatcher"), "close", FileDescriptor.class).invoke(dispatcher, fd);
        } catch (Throwable ignored) {
            // nothing more can be done about it
        }
    }

    /**
     * A two-stack legacy impl whose native bind failed: {@code NET_BindV6} closed both its sockets and the impl set
     * {@code fd} and {@code fd1} to null. Nothing is associated any more; the impl's own native create makes its two
     * sockets again, into {@code fd} (the impl's FileDescriptor before the bind) and a new {@code fd1}. Options set
     * before the bind went with the closed sockets.
     */
    private static String recreate(Object impl, Field own, FileDescriptor fd) throws Throwable {
        if (!(impl instanceof java.net.DatagramSocketImpl)) {
            return "the JDK closed this two-stack TCP socket when its bind failed";
        }
        Field second = field(impl.getClass(), "fd1");
        Object cleanable = cleanupOf(fd);
        Class<?> socketCleanable = cleanable != null && cleanable.getClass().getName()
                .equals("java.net.SocketCleanable") ? cleanable.getClass() : null;
        if (socketCleanable != null) { // it would close a handle value that the JDK closed already
            declared(socketCleanable, "unregister", FileDescriptor.class).invoke(null, fd);
        }
        FileDescriptor fd1 = new FileDescriptor();
        own.set(impl, fd);
        second.set(impl, fd1);
        try {
            method(impl.getClass(), "datagramSocketCreate").invoke(impl);
        } catch (Throwable t) {
            own.set(impl, null);
            second.set(impl, null);
            throw t;
        }
        if (socketCleanable != null) {
            reRegister(socketCleanable, fd);
            if (fd1.valid()) {
                reRegister(socketCleanable, fd1);
            }
        }
        return null;
    }

    /** The class of the frame that called {@code Net.bind} on this thread, or null. */
    private static String netBindCaller() {
        StackTraceElement[] stack = new Throwable().getStackTrace();
        for (int i = stack.length - 2; i >= 0; i--) {
            if (stack[i].getClassName().equals("sun.nio.ch.Net") && stack[i].getMethodName().equals("bind")) {
                return stack[i + 1].getClassName();
            }
        }
        return null;
    }

    /** {@code fd1} of a two-stack legacy impl when it holds a socket, else null. */
    private static FileDescriptor secondSocket(Object legacyImpl) throws Exception {
        for (Class<?> k = legacyImpl.getClass(); k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField("fd1");
                f.setAccessible(true);
                Object fd1 = f.get(legacyImpl);
                return fd1 instanceof FileDescriptor && ((FileDescriptor) fd1).valid() ? (FileDescriptor) fd1 : null;
            } catch (NoSuchFieldException notHere) {
                // the superclass
            }
        }
        return null;
    }

    private static Integer readOption(FileDescriptor fd, int level, int option) {
        try {
            return (Integer) declared(jdk("sun.nio.ch.Net"), "getIntOption0", FileDescriptor.class, boolean.class, int.class,
                    int.class).invoke(null, fd, level == 0, level, option);
        } catch (Throwable notThisSocket) {
            return null;
        }
    }

    private static void writeOption(FileDescriptor fd, int level, int option, int value, boolean inet6) {
        try {
            declared(jdk("sun.nio.ch.Net"), "setIntOption0", FileDescriptor.class, boolean.class, int.class, int.class,
                    int.class, boolean.class).invoke(null, fd, level == 0, level, option, value, inet6);
        } catch (Throwable notSettable) {
            // an option this socket refuses is one it cannot have had either
        }
    }

    private static FileDescriptor newFd(int value) {
        FileDescriptor fd = new FileDescriptor();
        try {
            field(FileDescriptor.class, "fd").setInt(fd, value);
        } catch (Exception cannot) {
            throw new IllegalStateException(cannot);
        }
        return fd;
    }

    /** {@code FileDescriptor.cleanup} (JDK 9+), or null. */
    private static Object cleanupOf(FileDescriptor fd) {
        try {
            return field(FileDescriptor.class, "cleanup").get(fd);
        } catch (Exception none) {
            return null;
        }
    }

    /** {@code SocketCleanable.register(fd)} (JDK 11) or {@code register(fd, stream)} (JDK 12-17). */
    private static void reRegister(Class<?> socketCleanable, FileDescriptor fd) throws Exception {
        for (Method m : socketCleanable.getDeclaredMethods()) {
            if (m.getName().equals("register")) {
                m.setAccessible(true);
                if (m.getParameterTypes().length == 1) {
                    m.invoke(null, fd);
                } else {
                    Integer type = readOption(fd, SOL_SOCKET, SO_TYPE);
                    m.invoke(null, fd, type == null || type == 1);
                }
                return;
            }
        }
    }

    private static Object invoke(Object target, String method) throws Exception {
        return method(target.getClass(), method).invoke(target);
    }

    /** The method {@code name()} of {@code owner} or a superclass, made accessible. */
    private static Method method(Class<?> owner, String name) throws NoSuchMethodException {
        for (Class<?> k = owner; k != null; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterTypes().length == 0) {
                    m.setAccessible(true);
                    return m;
                }
            }
        }
        throw new NoSuchMethodException(owner.getName() + "." + name);
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        for (Class<?> k = owner; k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField(name);
                f.setAccessible(true); // java.base's own field, from java.base
                return f;
            } catch (NoSuchFieldException notHere) {
                // the superclass
            }
        }
        throw new NoSuchFieldException(owner.getName() + "." + name);
    }

    private static Method declared(Class<?> owner, String name, Class<?>... parameters) throws Exception {
        Method m = owner.getDeclaredMethod(name, parameters);
        m.setAccessible(true);
        return m;
    }

    private static Class<?> jdk(String name) throws ClassNotFoundException {
        return Class.forName(name, false, null);
    }

    private static Object declaredConstructor(Class<?> c) throws Exception {
        java.lang.reflect.Constructor<?> k = c.getDeclaredConstructor();
        k.setAccessible(true);
        return k.newInstance();
    }

    /**
     * How to write a channel's {@code final int fdVal}, found before anything is changed: {unsafe, putIntVolatile,
     * offset}. Through {@code Unsafe} ({@code jdk.internal.misc} on 9+, {@code sun.misc} on 8): {@code Field.set} on a
     * final field warns on JDK 26+ (JEP 500).
     */
    private static Object[] intWriter(Field f) throws Exception {
        Object unsafe;
        Class<?> k;
        try {
            k = Class.forName("jdk.internal.misc.Unsafe");
            unsafe = k.getMethod("getUnsafe").invoke(null);
        } catch (ClassNotFoundException jdk8) {
            k = Class.forName("sun.misc.Unsafe");
            Field the = k.getDeclaredField("theUnsafe");
            the.setAccessible(true);
            unsafe = the.get(null);
        }
        Object offset = k.getMethod("objectFieldOffset", Field.class).invoke(unsafe, f);
        return new Object[] {unsafe, k.getMethod("putIntVolatile", Object.class, long.class, int.class), offset};
    }
}
