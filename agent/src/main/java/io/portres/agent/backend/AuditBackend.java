package io.portres.agent.backend;

import io.portres.agent.log.AgentLog;
import io.portres.policy.Policy;
import io.portres.policy.Reservation;

/** Decides and records, changes nothing: the backend of {@code mode: audit} and of OSes without a backend. */
public class AuditBackend implements ReservationBackend {

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public void start(Policy policy, AgentLog log) {
    }

    @Override
    public boolean mayWarnAtStart(Policy policy) {
        return false;
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        return attempt.port();
    }

    /** Only a literal token is known without touching the OS. */
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
