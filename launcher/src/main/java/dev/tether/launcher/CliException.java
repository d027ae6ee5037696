package dev.tether.launcher;

/**
 * A failure the user can act on: printed as one line ({@code tether <command>: <message>}),
 * without a stack trace, and turned into the given exit code.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A failure of the command itself (exit 1). */
    static CliException failed(String message) {
        return new CliException(ExitCode.FAILED, message);
    }

    int exitCode() {
        return exitCode;
    }
}
