package dev.tether.api;

/** The platform (or the stub) was closed, e.g. because its arch bundle stopped. */
public class PlatformClosedException extends TetherException {
    private static final long serialVersionUID = 1L;

    public PlatformClosedException(String message) {
        super(message);
    }
}
