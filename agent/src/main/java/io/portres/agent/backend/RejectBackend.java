package io.portres.agent.backend;

import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Reservation;

/**
 * Fails every association. For rehearsing {@code onError} before a backend is in place: with {@code backend=reject}
 * every matched bind behaves as if the OS had refused the association.
 */
public final class RejectBackend implements ReservationBackend {

    @Override
    public String name() {
        return "reject";
    }

    @Override
    public void start(Policy policy, AgentLog log) {
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        throw new AssociationException("rejected", "the reject backend refuses every association"
                + " (backend=reject is for rehearsing onError; remove it to use the OS backend)");
    }

    @Override
    public String tokenOf(Reservation reservation) {
        return reservation.hasToken() ? Tokens.hex(reservation.token()) : null;
    }

    @Override
    public String explainBindFailure(BindAttempt attempt, Throwable failure) {
        return null;
    }

    @Override
    public void stop() {
    }
}
