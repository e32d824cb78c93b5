package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;
import com.sun.jna.ptr.LongByReference;

/**
 * {@code iphlpapi.dll}: persistent port reservations. {@code StartPort} is in network byte order
 * ({@link JnaWinApi#htons}); {@code NumberOfPorts} in host order. The return value is a Win32 error code.
 */
public interface Iphlpapi extends Library {

    int CreatePersistentTcpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    int LookupPersistentTcpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    int DeletePersistentTcpPortReservation(short StartPort, short NumberOfPorts);

    int CreatePersistentUdpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    int LookupPersistentUdpPortReservation(short StartPort, short NumberOfPorts, LongByReference Token);

    int DeletePersistentUdpPortReservation(short StartPort, short NumberOfPorts);
}
