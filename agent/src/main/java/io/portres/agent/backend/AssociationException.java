package io.portres.agent.backend;

/**
 * An association that failed for a reason the operator can act on. The message is the whole story: what failed,
 * the OS error by name, and the fix ("run the service as an Administrators member, or use kind: runtime").
 */
public final class AssociationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String cause;

    /**
     * @param cause a short stable key for "warn once per rule and cause" (an error name such as {@code WSAEACCES})
     * @param message the full sentence shown to the operator
     */
    public AssociationException(String cause, String message) {
        super(message, null, false, false); // no stack trace: this is an expected outcome, not a bug
        this.cause = cause;
    }

    public String causeKey() {
        return cause;
    }
}
