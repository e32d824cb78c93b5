package io.portres.agent.backend.windows;

/**
 * The Windows calls the backend makes, in plain Java types: the boundary between the agent (application class
 * loader) and its private copy of JNA (an isolated loader or module layer, see {@link JnaIsolation}). The JNA side
 * implements it in {@code io.portres.agent.backend.windows.jna.JnaWinApi}; unit tests implement it with fakes.
 *
 * <p>Return values are the Win32 or Winsock error of the call, 0 ({@code NO_ERROR}) on success; ports are in host
 * byte order here (the JNA side converts {@code StartPort} to network byte order). Sockets are the OS handle: the
 * {@code SOCKET} on Windows (an unsigned value that the JDK keeps in an int), the file descriptor under the
 * simulator.
 */
public interface WinApi {

    /** {@code CreatePersistentTcpPortReservation} / {@code ...Udp...}; the token goes to {@code token[0]}. */
    int createPersistent(boolean udp, int startPort, int count, long[] token);

    /** {@code LookupPersistentTcpPortReservation} / {@code ...Udp...}; the token goes to {@code token[0]}. */
    int lookupPersistent(boolean udp, int startPort, int count, long[] token);

    /** {@code DeletePersistentTcpPortReservation} / {@code ...Udp...}. */
    int deletePersistent(boolean udp, int startPort, int count);

    /** {@code WSAIoctl(socket, SIO_ASSOCIATE_PORT_RESERVATION, &token, 8, NULL, 0, &bytes, NULL, NULL)}. */
    int associate(long socket, long token);

    /**
     * {@code WSAIoctl(socket, SIO_ACQUIRE_PORT_RESERVATION, &range, 4, &instance, 16, ...)}: a runtime reservation
     * of {@code count} ports at {@code startPort} (0: any free block). On success {@code out} holds the block's
     * start port, its count and the token.
     */
    int acquire(long socket, int startPort, int count, long[] out);

    /** {@code WSAIoctl(socket, SIO_RELEASE_PORT_RESERVATION, &token, 8, ...)}. */
    int release(long socket, long token);

    /** 1 when the process token is elevated ({@code TokenElevation}), 0 when not, -1 when it cannot be told. */
    int elevation();

    /** For the self-check line: which library, which JNA, and anything the operator should know about it. */
    String describe();
}
