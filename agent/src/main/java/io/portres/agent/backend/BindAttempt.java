package io.portres.agent.backend;

import io.portres.policy.Protocol;
import io.portres.policy.Reservation;
import io.portres.policy.Rule;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * What a backend sees of one matched bind: a read-only view of the dispatcher's call object
 * ({@code io.portres.agent.hook.BindCall}), which owns the bind's state from the decision to the event. Backends read
 * it and never keep it.
 */
public interface BindAttempt {

    /** Which hook saw the bind; see {@code io.portres.agent.hook.point.Sites}. */
    int site();

    /**
     * The hook's context object: the {@code ProtocolFamily} of a {@code sun.nio.ch.Net.bind} (site A), the legacy
     * {@code SocketImpl}/{@code DatagramSocketImpl} for sites B and C (a Windows backend finds the second socket of a
     * two-stack impl there), the remote address for an implicit TCP bind.
     */
    Object context();

    /** The socket's FileDescriptor as the hook received it; null for the legacy sites (B and C). */
    FileDescriptor fd();

    /** The OS handle: the SOCKET on Windows, the fd elsewhere; -1 if unknown. */
    int handle();

    /** The requested local address; null for an implicit bind (the kernel picks it at connect). */
    InetAddress address();

    /** The requested local port; 0 for wildcard/ephemeral binds and implicit binds. */
    int port();

    Protocol protocol();

    /** True for an unbound TCP socket about to connect (rules with {@code implicit: true}). */
    boolean implicit();

    /** The rule that matched. */
    Rule rule();

    /** The rule's reservation. */
    Reservation reservation();
}
