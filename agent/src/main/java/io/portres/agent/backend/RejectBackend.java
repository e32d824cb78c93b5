package io.portres.agent.backend;

/**
 * Fails every association. For rehearsing {@code onError} before a backend is in place: with {@code backend=reject}
 * every matched bind behaves as if the OS had refused the association. Otherwise the audit backend.
 */
public final class RejectBackend extends AuditBackend {

    @Override
    public String name() {
        return "reject";
    }

    @Override
    public int associate(BindAttempt attempt) throws AssociationException {
        throw new AssociationException("rejected", "the reject backend refuses every association"
                + " (backend=reject is for rehearsing onError; remove it to use the OS backend)");
    }
}
