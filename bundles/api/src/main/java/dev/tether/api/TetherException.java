package dev.tether.api;

/** Base of every error Tether reports. Unchecked: callers decide where to handle them. */
public class TetherException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TetherException(String message) {
        super(message);
    }

    public TetherException(String message, Throwable cause) {
        super(message, cause);
    }
}
