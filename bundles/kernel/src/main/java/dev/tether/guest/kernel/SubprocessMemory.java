package dev.tether.guest.kernel;

import dev.tether.abi.Mman;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;

/**
 * {@link GuestMemory} over a {@link Subprocess}: anonymous mappings, protection and copies go through
 * the subprocess's own operations (injected system calls, {@code process_vm_readv/writev}).
 * {@code process_vm_writev} honours page protection (process_vm_readv(2): EFAULT), so a write into a
 * page the guest may not write (the loader filling a code segment is done before its mprotect; a
 * read-only file mapping is filled the same way) must be made while the page is writable: the kernel's
 * callers do so.
 */
public final class SubprocessMemory implements GuestMemory {
    private final Subprocess subprocess;
    private final long limit;
    private final int pageSize;

    /**
     * @param limit the lowest address the guest may not use (the platform's stub page,
     *     {@link dev.tether.api.PlatformFacts#stubAddress()}), page-aligned
     * @param pageSize the kernel's page size ({@link dev.tether.api.PlatformFacts#pageSize()})
     */
    public SubprocessMemory(Subprocess subprocess, long limit, int pageSize) {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1 || (limit & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException("page size " + pageSize + " / limit " + Long.toHexString(limit)
                    + ": the page size must be a power of two and the limit page-aligned");
        }
        this.subprocess = subprocess;
        this.limit = limit;
        this.pageSize = pageSize;
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    @Override
    public long limit() {
        return limit;
    }

    @Override
    public void map(long address, long length, int prot) {
        subprocess.mapAnonymous(address, length, prot);
    }

    @Override
    public void unmap(long address, long length) {
        subprocess.unmap(address, length);
    }

    @Override
    public void protect(long address, long length, int prot) {
        subprocess.protect(address, length, prot & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC));
    }

    @Override
    public void read(long address, byte[] into, int offset, int length) {
        try {
            subprocess.read(address, into, offset, length);
        } catch (TetherException e) {
            throw fault(address, length, e);
        }
    }

    @Override
    public void write(long address, byte[] from, int offset, int length) {
        try {
            subprocess.write(address, from, offset, length);
        } catch (TetherException e) {
            throw fault(address, length, e);
        }
    }

    /** A failed copy is the guest's bad address while the subprocess lives; otherwise the death is news. */
    private RuntimeException fault(long address, int length, TetherException e) {
        if (!subprocess.alive()) {
            return e;
        }
        return new GuestMemoryException(address, length, e.getMessage(), e);
    }
}
