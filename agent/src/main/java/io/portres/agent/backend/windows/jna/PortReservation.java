package io.portres.agent.backend.windows.jna;

import com.sun.jna.Structure;

/** The structures of {@code mstcpip.h} that the port-reservation IOCTLs take. */
public final class PortReservation {

    private PortReservation() {
    }

    /** {@code INET_PORT_RANGE} (also {@code INET_PORT_RESERVATION}): 4 bytes; StartPort in network byte order. */
    @Structure.FieldOrder({"StartPort", "NumberOfPorts"})
    public static class INET_PORT_RANGE extends Structure {
        public short StartPort;
        public short NumberOfPorts;
    }

    /** {@code INET_PORT_RESERVATION_TOKEN}: 8 bytes. */
    @Structure.FieldOrder({"Token"})
    public static class INET_PORT_RESERVATION_TOKEN extends Structure {
        public long Token;
    }

    /** {@code INET_PORT_RESERVATION_INSTANCE}: 16 bytes (4, 4 of padding, then the 8-byte-aligned token). */
    @Structure.FieldOrder({"Reservation", "Token"})
    public static class INET_PORT_RESERVATION_INSTANCE extends Structure {
        public INET_PORT_RANGE Reservation;
        public INET_PORT_RESERVATION_TOKEN Token;
    }
}
