package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;
import io.portres.agent.backend.windows.WinApi;

import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link WinApi} through JNA. Loaded only by {@code JnaIsolation}'s loader, never by the application's.
 *
 * <p>With a library override (the simulator on Linux, {@code -Dportres.windows.library}), every interface binds to
 * that one library instead of {@code ws2_32}, {@code iphlpapi}, {@code advapi32} and {@code kernel32}.
 */
public final class JnaWinApi implements WinApi {

    private final Ws2_32 ws2;
    private final Iphlpapi iphlpapi;
    private final Advapi32 advapi32;
    private final Kernel32 kernel32;
    private final String description;

    public JnaWinApi(String libraryOverride) {
        boolean windows = Platform.isWindows();
        Map<String, Object> options = options(windows, Platform.is64Bit(), JnaWinApi.class.getClassLoader());
        String one = libraryOverride;
        ws2 = Native.load(one != null ? one : "ws2_32", Ws2_32.class, options);
        iphlpapi = Native.load(one != null ? one : "iphlpapi", Iphlpapi.class, options);
        advapi32 = Native.load(one != null ? one : "advapi32", Advapi32.class, options);
        kernel32 = Native.load(one != null ? one : "kernel32", Kernel32.class, options);
        String bits = Platform.is64Bit() ? "64-bit" : "32-bit";
        if (one == null) {
            description = "ws2_32, iphlpapi, advapi32 and kernel32 through JNA " + Native.VERSION + " (" + bits + ")";
        } else {
            description = "library " + one + " through JNA " + Native.VERSION + " (" + bits + ")" + simulatorNote(one,
                    options);
        }
        // Warm-up, off the application's critical path: resolves WSAIoctl and loads every class that an association
        // needs, so that the first association (inside a JDK bind, holding socket locks) loads nothing. An invalid
        // SOCKET gives WSAENOTSOCK and changes nothing.
        associate(0xFFFFFFFFL, 1L);
    }

    /**
     * JNA's options for these DLLs: on 32-bit Windows the Win32 API is {@code __stdcall} (WINAPI); on 64-bit
     * Windows, and on Linux for the simulator, there is one calling convention.
     */
    static Map<String, Object> options(boolean windows, boolean is64Bit, ClassLoader loader) {
        Map<String, Object> options = new HashMap<String, Object>();
        if (windows && !is64Bit) {
            options.put(Library.OPTION_CALLING_CONVENTION, StdCallLibrary.STDCALL_CONVENTION);
        }
        options.put(Library.OPTION_CLASSLOADER, loader);
        return options;
    }

    private static String simulatorNote(String library, Map<String, Object> options) {
        try {
            Winsim sim = Native.load(library, Winsim.class, options);
            String version = sim.winsim_version();
            return ", " + version + (sim.winsim_interposing() == 1 ? ", bind() interposed"
                    : "; WARNING: bind() is not interposed, so associations do not steer binds: start the JVM with"
                    + " LD_PRELOAD=" + library);
        } catch (UnsatisfiedLinkError notTheSimulator) {
            return "";
        }
    }

    /** {@code htons}: the port as a USHORT in network byte order. */
    public static short htons(int port) {
        short s = (short) port;
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Short.reverseBytes(s) : s;
    }

    /** {@code ntohs}, to an int in 0-65535. */
    public static int ntohs(short port) {
        return htons(port) & 0xFFFF;
    }

    @Override
    public int createPersistent(boolean udp, int startPort, int count, long[] token) {
        LongByReference t = new LongByReference();
        int rc = udp ? iphlpapi.CreatePersistentUdpPortReservation(htons(startPort), (short) count, t)
                : iphlpapi.CreatePersistentTcpPortReservation(htons(startPort), (short) count, t);
        token[0] = t.getValue();
        return rc;
    }

    @Override
    public int lookupPersistent(boolean udp, int startPort, int count, long[] token) {
        LongByReference t = new LongByReference();
        int rc = udp ? iphlpapi.LookupPersistentUdpPortReservation(htons(startPort), (short) count, t)
                : iphlpapi.LookupPersistentTcpPortReservation(htons(startPort), (short) count, t);
        token[0] = t.getValue();
        return rc;
    }

    @Override
    public int deletePersistent(boolean udp, int startPort, int count) {
        return udp ? iphlpapi.DeletePersistentUdpPortReservation(htons(startPort), (short) count)
                : iphlpapi.DeletePersistentTcpPortReservation(htons(startPort), (short) count);
    }

    @Override
    public int associate(long socket, long token) {
        return ioctlWithToken(socket, Ws2_32.SIO_ASSOCIATE_PORT_RESERVATION, token);
    }

    @Override
    public int release(long socket, long token) {
        return ioctlWithToken(socket, Ws2_32.SIO_RELEASE_PORT_RESERVATION, token);
    }

    private int ioctlWithToken(long socket, int code, long token) {
        PortReservation.INET_PORT_RESERVATION_TOKEN in = new PortReservation.INET_PORT_RESERVATION_TOKEN();
        in.Token = token;
        in.write();
        IntByReference bytes = new IntByReference();
        int rc = ws2.WSAIoctl(new Ws2_32.SOCKET(socket), code, in.getPointer(), in.size(), null, 0, bytes, null,
                null);
        return rc == 0 ? 0 : lastError();
    }

    @Override
    public int acquire(long socket, int startPort, int count, long[] out) {
        PortReservation.INET_PORT_RANGE range = new PortReservation.INET_PORT_RANGE();
        range.StartPort = htons(startPort);
        range.NumberOfPorts = (short) count;
        range.write();
        PortReservation.INET_PORT_RESERVATION_INSTANCE instance =
                new PortReservation.INET_PORT_RESERVATION_INSTANCE();
        IntByReference bytes = new IntByReference();
        int rc = ws2.WSAIoctl(new Ws2_32.SOCKET(socket), Ws2_32.SIO_ACQUIRE_PORT_RESERVATION, range.getPointer(),
                range.size(), instance.getPointer(), instance.size(), bytes, null, null);
        if (rc != 0) {
            return lastError();
        }
        instance.read();
        out[0] = ntohs(instance.Reservation.StartPort);
        out[1] = instance.Reservation.NumberOfPorts & 0xFFFF;
        out[2] = instance.Token.Token;
        return 0;
    }

    /**
     * The Winsock error of the call just made. JNA keeps the thread's last error (GetLastError, which WSAGetLastError
     * reads too; errno under the simulator) right after each native call; WSAGetLastError is the fallback.
     */
    private int lastError() {
        int e = Native.getLastError();
        if (e == 0) {
            e = ws2.WSAGetLastError();
        }
        return e == 0 ? -1 : e;
    }

    @Override
    public int elevation() {
        PointerByReference token = new PointerByReference();
        if (!advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), Advapi32.TOKEN_QUERY, token)) {
            return -1;
        }
        Pointer handle = token.getValue();
        try {
            Memory elevation = new Memory(4);
            elevation.setInt(0, 0);
            IntByReference length = new IntByReference();
            if (!advapi32.GetTokenInformation(handle, Advapi32.TokenElevation, elevation, 4, length)) {
                return -1;
            }
            return elevation.getInt(0) != 0 ? 1 : 0;
        } finally {
            kernel32.CloseHandle(handle);
        }
    }

    @Override
    public String describe() {
        return description;
    }
}
