package dev.tether.guest.kernel;

/** A guest address that cannot be read or written: the guest gets {@code EFAULT}. */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long address;

    public GuestMemoryException(long address, int length, String what, Throwable cause) {
        super(String.format("guest memory %#x (+%d): %s", address, length, what), cause);
        this.address = address;
    }

    /** The first address of the failed access. */
    public long address() {
        return address;
    }
}
