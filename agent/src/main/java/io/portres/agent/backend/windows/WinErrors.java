package io.portres.agent.backend.windows;

import io.portres.policy.Protocol;
import io.portres.policy.Reservation;

/**
 * Win32 and Winsock error codes by name, and the sentences an operator needs: what failed, the error by name, and
 * what to do. These messages reach the log, the events' {@code error} field and, under {@code onError: fail}, the
 * application's BindException.
 */
public final class WinErrors {

    public static final int NO_ERROR = 0;
    public static final int ERROR_ACCESS_DENIED = 5;
    public static final int ERROR_SHARING_VIOLATION = 32;
    public static final int ERROR_NOT_SUPPORTED = 50;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int ERROR_INSUFFICIENT_BUFFER = 122;
    public static final int ERROR_NOT_FOUND = 1168;
    public static final int WSA_OPERATION_ABORTED = 995;
    public static final int WSA_IO_PENDING = 997;
    public static final int WSAEINTR = 10004;
    public static final int WSAEACCES = 10013;
    public static final int WSAEFAULT = 10014;
    public static final int WSAEINVAL = 10022;
    public static final int WSAENOTSOCK = 10038;
    public static final int WSAEOPNOTSUPP = 10045;
    public static final int WSAEADDRINUSE = 10048;
    public static final int WSAEADDRNOTAVAIL = 10049;
    public static final int WSAENETDOWN = 10050;
    public static final int WSAENOBUFS = 10055;
    public static final int WSANOTINITIALISED = 10093;

    private static final Object[][] NAMES = {
        {NO_ERROR, "NO_ERROR"},
        {ERROR_ACCESS_DENIED, "ERROR_ACCESS_DENIED"},
        {ERROR_SHARING_VIOLATION, "ERROR_SHARING_VIOLATION"},
        {ERROR_NOT_SUPPORTED, "ERROR_NOT_SUPPORTED"},
        {ERROR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER"},
        {ERROR_INSUFFICIENT_BUFFER, "ERROR_INSUFFICIENT_BUFFER"},
        {ERROR_NOT_FOUND, "ERROR_NOT_FOUND"},
        {WSA_OPERATION_ABORTED, "WSA_OPERATION_ABORTED"},
        {WSA_IO_PENDING, "WSA_IO_PENDING"},
        {WSAEINTR, "WSAEINTR"},
        {WSAEACCES, "WSAEACCES"},
        {WSAEFAULT, "WSAEFAULT"},
        {WSAEINVAL, "WSAEINVAL"},
        {WSAENOTSOCK, "WSAENOTSOCK"},
        {WSAEOPNOTSUPP, "WSAEOPNOTSUPP"},
        {WSAEADDRINUSE, "WSAEADDRINUSE"},
        {WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL"},
        {WSAENETDOWN, "WSAENETDOWN"},
        {WSAENOBUFS, "WSAENOBUFS"},
        {WSANOTINITIALISED, "WSANOTINITIALISED"},
    };

    private WinErrors() {
    }

    /** {@code WSAEACCES (10013)}; an unknown code as {@code error 1234}. */
    public static String name(int code) {
        for (Object[] n : NAMES) {
            if ((Integer) n[0] == code) {
                return n[1] + " (" + code + ")";
            }
        }
        return "error " + code;
    }

    /** The key for "warn once per rule and cause": the bare name, or the number. */
    public static String key(int code) {
        for (Object[] n : NAMES) {
            if ((Integer) n[0] == code) {
                return (String) n[1];
            }
        }
        return String.valueOf(code);
    }

    /** {@code netsh int ipv4 add excludedportrange protocol=tcp startport=50000 numberofports=100 store=persistent} */
    public static String netshAdd(Reservation r) {
        return netshAdd(r.protocol(), r.startPort(), r.count());
    }

    public static String netshAdd(Protocol p, int start, int count) {
        return "netsh int ipv4 add excludedportrange protocol=" + p.id() + " startport=" + start
                + " numberofports=" + count + " store=persistent";
    }

    public static String netshShow(Protocol p) {
        return "netsh int ipv4 show excludedportrange protocol=" + p.id();
    }

    /** {@code tcp 50000+100}: how the lookup names a block (start and count must match exactly). */
    static String block(Protocol p, int start, int count) {
        return p.id() + " " + start + "+" + count;
    }

    static String function(String verb, Protocol p) {
        return verb + "Persistent" + (p == Protocol.UDP ? "Udp" : "Tcp") + "PortReservation";
    }

    /** Why a lookup (and, with {@code create: true}, a create) left a persistent reservation without a token. */
    public static String lookupFailed(Reservation r, int code) {
        return lookupFailed(r.protocol(), r.startPort(), r.count(), code);
    }

    public static String lookupFailed(Protocol p, int start, int count, int code) {
        if (code == ERROR_NOT_FOUND) {
            return "no persistent reservation " + block(p, start, count) + " exists (" + name(code) + " from "
                    + function("Lookup", p) + "; start and count must match the reservation exactly); create it"
                    + " from an elevated prompt with: " + netshAdd(p, start, count) + " (or set create: true and run"
                    + " elevated)";
        }
        return function("Lookup", p) + " for " + block(p, start, count) + " failed with " + name(code);
    }

    public static String createFailed(Reservation r, int code) {
        return createFailed(r.protocol(), r.startPort(), r.count(), code);
    }

    public static String createFailed(Protocol p, int start, int count, int code) {
        switch (code) {
            case ERROR_ACCESS_DENIED:
                return "creating the persistent reservation " + block(p, start, count) + " needs an elevated process ("
                        + name(code) + " from " + function("Create", p) + "); create it once from an elevated"
                        + " prompt with: " + netshAdd(p, start, count) + ", or run elevated (a member of"
                        + " Administrators with requireAdministrator, or LocalSystem)";
            case ERROR_SHARING_VIOLATION:
                return "cannot create the persistent reservation " + block(p, start, count) + ": it overlaps an"
                        + " existing reservation, or a port in it is in use (" + name(code) + " from "
                        + function("Create", p) + "); see " + netshShow(p) + " and choose a free block, or free the"
                        + " port";
            case ERROR_INVALID_PARAMETER:
                return "cannot create the persistent reservation " + block(p, start, count) + ": Windows rejects the"
                        + " block (" + name(code) + "; the block must lie within 1-65535)";
            default:
                return function("Create", p) + " for " + block(p, start, count) + " failed with " + name(code);
        }
    }

    public static String deleteFailed(Protocol p, int start, int count, int code) {
        switch (code) {
            case ERROR_ACCESS_DENIED:
                return "deleting the persistent reservation " + block(p, start, count) + " needs an elevated process ("
                        + name(code) + " from " + function("Delete", p) + "); run it from an elevated prompt";
            case ERROR_NOT_FOUND:
                return "no persistent reservation " + block(p, start, count) + " exists (" + name(code) + " from "
                        + function("Delete", p) + "; start and count must match the reservation exactly); see "
                        + netshShow(p);
            default:
                return function("Delete", p) + " for " + block(p, start, count) + " failed with " + name(code);
        }
    }

    /**
     * A message as one line: Windows' texts (FormatMessage, which JNA's errors carry) end with CRLF, which would make
     * a blank log line.
     */
    public static String oneLine(String message) {
        return message == null ? "" : message.trim().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    /**
     * A reservation function this Windows does not have (JNA's UnsatisfiedLinkError, "Procedure not found"): Wine,
     * or a Windows before Vista / Server 2008.
     */
    public static String functionMissing(Reservation r, String jnaMessage) {
        return "port reservations are not supported here: iphlpapi has no " + function("Lookup",
                r.protocol()) + " (" + oneLine(jnaMessage) + "); they need Windows Vista / Server 2008 or later (Wine"
                + " has none): run on Windows, or use kind: runtime";
    }

    /** Why {@code SIO_ACQUIRE_PORT_RESERVATION} gave no runtime reservation. */
    public static String acquireFailed(Reservation r, int code) {
        String what = r.startPort() == 0 ? "any free block of " + r.count() + " " + r.protocol().id() + " ports"
                : r.protocol().id() + " " + r.startPort() + "-" + r.endPort();
        if (code == WSAEADDRINUSE) {
            return "cannot acquire a runtime reservation of " + what + " (" + name(code) + " from"
                    + " SIO_ACQUIRE_PORT_RESERVATION): it overlaps another reservation (persistent ones, or the"
                    + " blocks Hyper-V, WinNAT, WSL or Docker take) or a port in it is in use; see " + netshShow(r.protocol())
                    + ", and choose another startPort, or leave startPort out to take any free block";
        }
        if (code == WSAEOPNOTSUPP) {
            return "port reservations are not supported here: SIO_ACQUIRE_PORT_RESERVATION failed with " + name(code)
                    + " for " + what + "; they need Windows Vista / Server 2008 or later (Wine has none): run on"
                    + " Windows";
        }
        return "cannot acquire a runtime reservation of " + what + ": SIO_ACQUIRE_PORT_RESERVATION failed with "
                + name(code);
    }

    /**
     * Why {@code SIO_ASSOCIATE_PORT_RESERVATION} failed. {@code literal}: the token came from the policy, not from a
     * lookup; {@code elevated}: the self-check's answer (1, 0, -1 unknown).
     */
    public static String associateFailed(Reservation r, long token, boolean literal, int elevated, int code) {
        String t = io.portres.agent.backend.Tokens.hex(token);
        boolean runtime = r.kind() == io.portres.policy.ReservationKind.RUNTIME;
        switch (code) {
            case WSAEACCES:
                if (runtime) {
                    return "the runtime reservation's token " + t + " was refused (" + name(code) + ")";
                }
                return "associating a socket with a persistent reservation needs an elevated process, and this one"
                        + (elevated == 1 ? " was refused" : " is not elevated") + " (" + name(code) + " from"
                        + " SIO_ASSOCIATE_PORT_RESERVATION): run the service as a member of Administrators with a full"
                        + " token (requireAdministrator, RunAs) or as LocalSystem, or use a runtime reservation"
                        + " (kind: runtime), which needs no elevation";
            case WSAEINVAL:
                if (literal) {
                    return "token " + t + " is not a valid reservation token (" + name(code) + " from"
                            + " SIO_ASSOCIATE_PORT_RESERVATION): tokens change when Windows restarts; remove token:"
                            + " from the policy so that portres looks the reservation up at every start (check it"
                            + " with " + netshShow(r.protocol()) + ")";
                }
                return "Windows rejected token " + t + " (" + name(code) + " from SIO_ASSOCIATE_PORT_RESERVATION):"
                        + " the reservation was deleted or re-created since the JVM started (restart the service),"
                        + " or the socket was already bound";
            case WSAEOPNOTSUPP:
                return "this socket cannot take a port reservation (" + name(code) + "): it is not TCP or UDP, or a"
                        + " layered service provider does not support SIO_ASSOCIATE_PORT_RESERVATION";
            case WSAENOTSOCK:
                return "the JDK's handle is not a socket (" + name(code) + ")";
            default:
                return "SIO_ASSOCIATE_PORT_RESERVATION with token " + t + " failed with " + name(code);
        }
    }
}
