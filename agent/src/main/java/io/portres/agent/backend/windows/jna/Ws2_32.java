package io.portres.agent.backend.windows.jna;

import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/** {@code ws2_32.dll}: the two Winsock functions the backend calls. */
public interface Ws2_32 extends Library {

    /** {@code _WSAIOW(IOC_VENDOR, 100)}: acquire a runtime port reservation (in: INET_PORT_RANGE, out: instance). */
    int SIO_ACQUIRE_PORT_RESERVATION = 0x98000064;
    /** {@code _WSAIOW(IOC_VENDOR, 101)}: release a runtime port reservation (in: token). */
    int SIO_RELEASE_PORT_RESERVATION = 0x98000065;
    /** {@code _WSAIOW(IOC_VENDOR, 102)}: associate an unbound socket with a reservation (in: token). */
    int SIO_ASSOCIATE_PORT_RESERVATION = 0x98000066;
    int SOCKET_ERROR = -1;

    /**
     * {@code SOCKET}: a {@code UINT_PTR}, 8 bytes on 64-bit Windows and 4 on 32-bit. The JDK keeps it in an int;
     * the backend widens it unsigned.
     */
    final class SOCKET extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SOCKET() {
            this(0);
        }

        public SOCKET(long value) {
            super(Native.POINTER_SIZE, value, true);
        }
    }

    int WSAIoctl(SOCKET s, int dwIoControlCode, Pointer lpvInBuffer, int cbInBuffer, Pointer lpvOutBuffer,
                 int cbOutBuffer, IntByReference lpcbBytesReturned, Pointer lpOverlapped,
                 Pointer lpCompletionRoutine);

    int WSAGetLastError();
}
