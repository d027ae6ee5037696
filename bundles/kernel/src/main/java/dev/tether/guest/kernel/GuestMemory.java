package dev.tether.guest.kernel;

/**
 * The memory operations a guest kernel needs on a guest's address space. {@link SubprocessMemory} adapts
 * a {@link dev.tether.api.Subprocess}; tests use an in-memory double. Addresses and lengths given to
 * {@link #map}, {@link #unmap} and {@link #protect} are page-aligned (the caller, {@link MemoryManager},
 * makes them so); the caller also keeps its own record of the mappings, so implementations only do
 * what they are told.
 */
public interface GuestMemory {

    /** The page size of the guest's kernel. */
    int pageSize();

    /**
     * The end of the address range a guest may use (exclusive): the lowest address the platform keeps
     * for itself (the stub page) or the end of the user address space, whichever is lower.
     */
    long limit();

    /** Maps fresh zero-filled private memory at exactly {@code address} (replacing what was there). */
    void map(long address, long length, int prot);

    /** Unmaps the range (unmapped parts of it are not an error). */
    void unmap(long address, long length);

    /** Changes the protection of the range. */
    void protect(long address, long length, int prot);

    /**
     * Copies guest memory out.
     *
     * @throws GuestMemoryException if some byte of the range cannot be read
     */
    void read(long address, byte[] into, int offset, int length);

    /**
     * Copies into guest memory, whatever the protection (as {@code process_vm_writev} and ptrace do
     * not: implementations may need to make read-only pages writable around the copy; see
     * {@link SubprocessMemory}).
     *
     * @throws GuestMemoryException if some byte of the range cannot be written
     */
    void write(long address, byte[] from, int offset, int length);
}
