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
 *   <li>The {@link BindAttempt} is a read-only view of one bind; do not keep it after the call returns.</li>
 *   <li>The dispatcher reads the socket's bound port back from the OS after every matched bind and records
 *       {@code associated} only when {@link #inBlock} says it is inside the block; a backend need not (and cannot)
 *       report a port itself.</li>
 *   <li>Report a failed association by throwing {@link AssociationException} with a message that names the cause
 *       and the fix; the dispatcher applies {@code onError}. Any other exception is treated as an agent bug.</li>
 * </ul>
 */
public interface ReservationBackend {

    /**
     * Returned by {@link #associate} when the backend wants to make the native bind itself: the dispatcher then
     * calls {@link #bindInReservation} in place of the JDK's native bind call.
     */
    int BIND_IN_RESERVATION = -2;

    /** The JDK's own native bind for one socket, with everything but the port fixed. */
    interface NativeBind {
        /** Binds the socket to {@code port}; throws the JDK's BindException when the port is taken. */
        void bind(int port) throws java.io.IOException;
    }

    /** The name in logs, events and the {@code backend=} switch. */
    String name();

    /**
     * Start-up work: resolving tokens, checking blocks, logging a self-check. Called once, before any
     * {@link #associate}; may hand slow work to a background thread (see {@link #awaitReady}). Must not throw.
     */
    void start(Policy policy, AgentLog log);

    /**
     * Whether {@link #start} may log a warning for {@code policy} (a block not reserved, a reservation it cannot
     * serve). Asked in premain, before the application runs: the shutdown hook then waits for the start, so that a
     * JVM that exits at once still prints those warnings. Must be cheap (no I/O); when unsure, true.
     */
    default boolean mayWarnAtStart(Policy policy) {
        return !policy.reservations().isEmpty();
    }

    /**
     * Associates the socket with {@code attempt.reservation()} before its bind. Returns the port to bind
     * ({@code attempt.port()} to leave the bind as requested), or {@link #BIND_IN_RESERVATION}.
     */
    int associate(BindAttempt attempt) throws AssociationException;

    /**
     * Called in place of the JDK's native bind when {@link #associate} returned {@link #BIND_IN_RESERVATION}: binds
     * through {@code nativeBind}, for example trying the ports of the reservation's block until one is free. Throws {@link AssociationException} when the reservation cannot take the
     * socket (the dispatcher applies {@code onError}), or the JDK's own exception for other bind failures.
     */
    default void bindInReservation(BindAttempt attempt, NativeBind nativeBind) throws AssociationException,
            java.io.IOException {
        nativeBind.bind(attempt.port());
    }

    /** The token used for this reservation as {@code 0x...} hex, or null (none, not resolved yet, or no tokens). */
    String tokenOf(Reservation reservation);

    /**
     * A sentence for the log and the event when the JDK's bind failed after a successful association (for example
     * "the reservation is exhausted"), or null to report the JDK's exception as it is.
     */
    String explainBindFailure(BindAttempt attempt, Throwable failure);

    /**
     * Whether {@code port} is a port of {@code reservation}'s block as this backend holds it (for a runtime block
     * acquired at any free start port: the block acquired). Only a bound port inside is recorded {@code associated}.
     */
    default boolean inBlock(Reservation reservation, int port) {
        return reservation.contains(port);
    }

    /**
     * On a reload, in place of {@link #start}: {@code previous} is the backend of the policy in force (possibly of
     * another class). A backend may take over from it what the new policy defines identically (a runtime reservation
     * keeps its block and token), so that {@code previous.stop()} later releases only the rest.
     */
    default void startAfter(ReservationBackend previous, Policy policy, AgentLog log) {
        start(policy, log);
    }

    /**
     * Waits, at most {@code timeoutMillis}, for the work {@link #start} handed to a background thread. Returns null
     * when the backend serves the policy, else why not: a reload is then refused and the running policy stays.
     */
    default String awaitStarted(long timeoutMillis) {
        return null;
    }

    /**
     * Releases what {@link #start} acquired and was not taken over (runtime reservations, native resources). Called
     * when a reload retired this backend's policy, and at JVM shutdown.
     */
    void stop();

    /**
     * Whether {@link #stop} has anything to do at JVM shutdown. Only then does the agent register a shutdown hook
     * for it: a hook that does nothing still costs an exiting JVM a few milliseconds on two cores.
     */
    default boolean releasesAtExit() {
        return false;
    }
}
