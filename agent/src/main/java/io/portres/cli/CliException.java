package io.portres.cli;

/** A command that cannot go on: the message for standard error and the exit status ({@link Main#USAGE_OR_IO}). */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    CliException(String message) {
        this(Main.USAGE_OR_IO, message);
    }

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }
}
