package dev.tether.guest.kernel;

/**
 * A program that cannot be loaded into a guest: not a file, not ELF, not for this arch, dynamically
 * linked, a segment that does not fit. The message names the program and what was wrong with it.
 */
public final class GuestLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GuestLoadException(String message) {
        super(message);
    }

    public GuestLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
