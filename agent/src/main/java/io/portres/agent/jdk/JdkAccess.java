package io.portres.agent.jdk;

import io.portres.policy.Protocol;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetSocketAddress;

/**
 * Method handles on {@code sun.nio.ch} internals that the dispatcher and the backends need: the OS handle of a
 * FileDescriptor, the socket's protocol, its bound port, and the native bind itself. Built once, off the
 * application's critical path ({@link #warmUp()}) or at the first candidate bind, whichever comes first; never
 * before {@code hook.BridgeInstaller} opened {@code sun.nio.ch} to the agent ({@link JavaBase#openToAgent}).
 */
public final class JdkAccess {

    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase().startsWith("linux");
    // getsockopt(SOL_SOCKET, SO_PROTOCOL) on Linux tells TCP (6), UDP (17) and SCTP (132) apart; elsewhere
    // SO_TYPE (stream 1, datagram 2) is enough: Windows and macOS have no SCTP in the JDK.
    private static final int SOL_SOCKET = LINUX ? 1 : 0xffff;
    private static final int OPTION = LINUX ? 38 : 0x1008;

    private JdkAccess() {
    }

    /** Initialisation-on-demand holder: the JVM's class-initialisation lock makes concurrent first uses safe. */
    private static final class Handles {
        static final MethodHandle FD_VAL;
        static final MethodHandle LOCAL_ADDRESS;
        static final MethodHandle GET_INT_OPTION;
        static final MethodHandle SET_INT_OPTION;
        static final MethodHandle BIND0;
        static final MethodHandle IS_IPV6_AVAILABLE;
        /**
         * {@code Net.localPort(fd)}: one {@code getsockname}. {@code Net.localAddress} makes two (the address, then
         * the port), and the dispatcher's verdict and the Linux backend's claim checks need the port alone. Null
         * where a JDK lacks it: then {@link #LOCAL_ADDRESS} answers.
         */
        static final MethodHandle LOCAL_PORT;
        static final Throwable FAILURE;

        static {
            MethodHandle fdVal = null;
            MethodHandle localAddress = null;
            MethodHandle getIntOption = null;
            MethodHandle setIntOption = null;
            MethodHandle bind0 = null;
            MethodHandle ipv6 = null;
            MethodHandle localPort = null;
            Throwable failure = null;
            try {
                Class<?> net = Class.forName("sun.nio.ch.Net", false, null);
                MethodHandles.Lookup lookup = JavaBase.privateLookup(net);
                try {
                    localPort = lookup.findStatic(net, "localPort",
                            MethodType.methodType(int.class, FileDescriptor.class));
                } catch (Throwable absent) {
                    // LOCAL_ADDRESS reads the port then
                }
                Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil", false, null);
                fdVal = lookup.findStatic(ioUtil, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
                localAddress = lookup.findStatic(net, "localAddress",
                        MethodType.methodType(InetSocketAddress.class, FileDescriptor.class));
                getIntOption = lookup.findStatic(net, "getIntOption0", MethodType.methodType(int.class,
                        FileDescriptor.class, boolean.class, int.class, int.class));
                setIntOption = lookup.findStatic(net, "setIntOption0", MethodType.methodType(void.class,
                        FileDescriptor.class, boolean.class, int.class, int.class, int.class, boolean.class));
                bind0 = lookup.findStatic(net, "bind0", MethodType.methodType(void.class, FileDescriptor.class,
                        boolean.class, boolean.class, java.net.InetAddress.class, int.class));
                ipv6 = lookup.findStatic(net, "isIPv6Available", MethodType.methodType(boolean.class));
            } catch (Throwable t) {
                failure = t;
            }
            FD_VAL = fdVal;
            LOCAL_ADDRESS = localAddress;
            GET_INT_OPTION = getIntOption;
            SET_INT_OPTION = setIntOption;
            BIND0 = bind0;
            IS_IPV6_AVAILABLE = ipv6;
            LOCAL_PORT = localPort;
            FAILURE = failure;
        }
    }

    /** Whether {@link #localPort} reads the port with one system call ({@code Net.localPort}). */
    static boolean readsPortAlone() {
        return Handles.LOCAL_PORT != null;
    }

    /** Builds every handle now. Returns the failure, or null when everything is available. */
    public static Throwable warmUp() {
        return Handles.FAILURE;
    }

    /** The OS handle: the fd on Unix, the SOCKET on Windows; -1 when unknown or closed. */
    public static int handle(FileDescriptor fd) {
        if (fd == null || Handles.FD_VAL == null) {
            return -1;
        }
        try {
            return (int) Handles.FD_VAL.invokeExact(fd);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** TCP or UDP from the socket itself; null for anything else (SCTP, closed, unknown). */
    public static Protocol protocolOf(FileDescriptor fd) {
        if (fd == null || Handles.GET_INT_OPTION == null) { // the JDK's natives crash the JVM on a null fd
            return null;
        }
        int v;
        try {
            v = (int) Handles.GET_INT_OPTION.invokeExact(fd, false, SOL_SOCKET, OPTION);
        } catch (Throwable t) {
            return null;
        }
        if (LINUX) {
            return v == 6 ? Protocol.TCP : v == 17 ? Protocol.UDP : null;
        }
        return v == 1 ? Protocol.TCP : v == 2 ? Protocol.UDP : null;
    }

    /** The port the socket is bound to, as the OS reports it now (0: not bound), or -1 when it cannot be read. */
    public static int localPort(FileDescriptor fd) {
        if (fd == null) { // the JDK's natives crash the JVM on a null fd
            return -1;
        }
        try {
            if (Handles.LOCAL_PORT != null) {
                return (int) Handles.LOCAL_PORT.invokeExact(fd);
            }
            if (Handles.LOCAL_ADDRESS == null) {
                return -1;
            }
            InetSocketAddress a = (InetSocketAddress) Handles.LOCAL_ADDRESS.invokeExact(fd);
            return a == null ? -1 : a.getPort();
        } catch (Throwable t) {
            return -1;
        }
    }

    /**
     * The JDK's own native bind ({@code Net.bind0}), for a backend that binds a socket where no JDK bind call is
     * coming (an unbound TCP socket about to connect).
     */
    public static void bind0(FileDescriptor fd, boolean preferIPv6, boolean exclusive, java.net.InetAddress address,
                             int port) throws java.io.IOException {
        if (Handles.BIND0 == null) {
            throw new java.io.IOException("sun.nio.ch.Net.bind0 is not available: " + Handles.FAILURE);
        }
        try {
            Handles.BIND0.invokeExact(fd, preferIPv6, exclusive, address, port);
        } catch (java.io.IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw e;
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            throw new java.io.IOException(t);
        }
    }

    /** Linux: the socket's address family (SO_DOMAIN): 2 for AF_INET, 10 for AF_INET6; -1 if unknown. */
    public static int linuxSocketDomain(FileDescriptor fd) {
        if (fd == null || !LINUX || Handles.GET_INT_OPTION == null) {
            return -1;
        }
        try {
            return (int) Handles.GET_INT_OPTION.invokeExact(fd, false, 1, 39);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Linux: an int option of level SOL_SOCKET (SO_REUSEADDR 2, SO_REUSEPORT 15, ...); -1 if it cannot be read. */
    public static int linuxSocketOption(FileDescriptor fd, int option) {
        if (fd == null || !LINUX || Handles.GET_INT_OPTION == null) {
            return -1;
        }
        try {
            return (int) Handles.GET_INT_OPTION.invokeExact(fd, false, 1, option);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Linux: sets an int option of level SOL_SOCKET; false when it could not be set. */
    public static boolean linuxSetSocketOption(FileDescriptor fd, int option, int value) {
        if (fd == null || !LINUX || Handles.SET_INT_OPTION == null) {
            return false;
        }
        try {
            Handles.SET_INT_OPTION.invokeExact(fd, false, 1, option, value, false);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The legacy {@code SocketImpl}/{@code DatagramSocketImpl}'s own FileDescriptor ({@code fd}), or null. */
    public static FileDescriptor legacyFd(Object impl) {
        try {
            java.lang.reflect.Field f = impl instanceof java.net.SocketImpl ? LegacyFd.SOCKET
                    : impl instanceof java.net.DatagramSocketImpl ? LegacyFd.DATAGRAM : null;
            return f == null ? null : (FileDescriptor) f.get(impl);
        } catch (Throwable t) {
            return null;
        }
    }

    /** The {@code fd} fields of the legacy impls, made accessible once (java.net is opened to the agent). */
    private static final class LegacyFd {
        static final java.lang.reflect.Field SOCKET = field(java.net.SocketImpl.class);
        static final java.lang.reflect.Field DATAGRAM = field(java.net.DatagramSocketImpl.class);

        private static java.lang.reflect.Field field(Class<?> owner) {
            try {
                java.lang.reflect.Field f = owner.getDeclaredField("fd");
                f.setAccessible(true);
                return f;
            } catch (Throwable t) {
                return null;
            }
        }
    }

    /**
     * Releases the socket's port at once and leaves the descriptor valid until its owner closes it: the JDK's own
     * "pre-close" ({@code dup2} of a closed socket over the fd, as for an asynchronous close), so that a socket that
     * must not stay bound is undone without closing a descriptor number the JDK still holds. Falls back to nothing
     * (the bind still throws) where the JDK has no such call (Windows). Returns whether it was done.
     */
    public static boolean preClose(FileDescriptor fd) {
        MethodHandle h = PreClose.HANDLE;
        if (fd == null || h == null) {
            return false;
        }
        try {
            h.invokeExact(fd);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** {@code preClose0}: UnixDispatcher on JDK 21+, FileDispatcherImpl before; absent on Windows. */
    private static final class PreClose {
        static final MethodHandle HANDLE = find();

        private static MethodHandle find() {
            for (String owner : new String[] {"sun.nio.ch.UnixDispatcher", "sun.nio.ch.FileDispatcherImpl"}) {
                try {
                    Class<?> c = Class.forName(owner, true, null);
                    return JavaBase.privateLookup(c).findStatic(c, "preClose0",
                            MethodType.methodType(void.class, FileDescriptor.class));
                } catch (Throwable notHere) {
                    // next candidate
                }
            }
            return null;
        }
    }

    public static boolean isIPv6Available() {
        try {
            return Handles.IS_IPV6_AVAILABLE != null && (boolean) Handles.IS_IPV6_AVAILABLE.invokeExact();
        } catch (Throwable t) {
            return false;
        }
    }
}
