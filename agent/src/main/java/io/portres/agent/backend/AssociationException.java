package io.portres.agent.backend;

/**
 * An association that failed for a reason the operator can act on. The message is the whole story: what failed,
 * the OS error by name, and the fix ("run the service as an Administrators member, or use kind: runtime").
 */
public final class AssociationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String cause;
    private final java.io.IOException boundFailure;

    /**
     * @param cause a short stable key for "warn once per rule and cause" (an error name such as {@code WSAEACCES})
     * @param message the full sentence shown to the operator
     */
    public AssociationException(String cause, String message) {
        this(cause, message, null);
    }

    /**
     * @param bindFailure the native bind's own exception, when the socket keeps its association after the failed
     *                    bind (Windows cannot undo one): under {@code onError: continue} the dispatcher must then bind
     *                    a fresh socket as requested, and throws this when it cannot
     */
    public AssociationException(String cause, String message, java.io.IOException bindFailure) {
        super(message, null, false, false); // no stack trace: this is an expected outcome, not a bug
        this.cause = cause;
        this.boundFailure = bindFailure;
    }

    public String causeKey() {
        return cause;
    }

    /** The native bind's exception when the socket is still associated (see the constructor), else null. */
    public java.io.IOException stillAssociatedFailure() {
        return boundFailure;
    }
}
