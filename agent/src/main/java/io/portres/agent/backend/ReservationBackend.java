package io.portres.agent.backend;

import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Reservation;

/**
 * How a matched socket is tied to its reservation. One implementation per OS mechanism: {@code audit} (records
 * only), {@code windows} (WSAIoctl SIO_ASSOCIATE_PORT_RESERVATION), {@code linux} (confines the bind to the block),
 * and {@code reject} (fails every association, for rehearsing {@code onError}). Chosen by {@link Backends}.
 *
 * <p>Contract for implementers:
 * <ul>
 *   <li>{@link #associate} runs inside the JDK's bind method, holding socket locks: keep it short, never block on
 *       I/O other than the OS call itself, never open a socket (the re-entrancy guard would skip it silently).</li>
 *   <li>Never retain the {@link BindAttempt}: it is reused for the thread's next bind.</li>
 *   <li>Report a failed association by throwing {@link AssociationException} with a message that names the cause
 *       and the fix; the dispatcher applies {@code onError}. Any other exception is treated as an agent bug.</li>
 * </ul>
 */
public interface ReservationBackend {

    /** Returned by {@link #associate} when the backend bound the socket itself (the JDK's bind is skipped). */
    int ALREADY_BOUND = -1;

    /** The name in logs, events and the {@code backend=} switch. */
    String name();

    /**
     * Start-up work: resolving tokens, checking blocks, logging a self-check. Called once, before any
     * {@link #associate}; may hand slow work to a background thread (see {@link #awaitReady}). Must not throw.
     */
    void start(Policy policy, AgentLog log);

    /**
     * Associates the socket with {@code attempt.reservation()} before its bind. Returns the port to bind:
     * {@code attempt.port()} to leave the bind as requested, another port to redirect a wildcard bind, or
     * {@link #ALREADY_BOUND} (only when {@link BindAttempt#canSkipNativeBind()}) after binding it itself.
     */
    int associate(BindAttempt attempt) throws AssociationException;

    /** The token used for this reservation as {@code 0x...} hex, or null (none, not resolved yet, or no tokens). */
    String tokenOf(Reservation reservation);

    /**
     * A sentence for the log and the event when the JDK's bind failed after a successful association (for example
     * "the reservation is exhausted"), or null to report the JDK's exception as it is.
     */
    String explainBindFailure(BindAttempt attempt, Throwable failure);

    /** Releases what {@link #start} acquired (runtime reservations, native resources). Called at JVM shutdown. */
    void stop();
}
