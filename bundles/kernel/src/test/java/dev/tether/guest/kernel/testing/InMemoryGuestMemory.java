package dev.tether.guest.kernel.testing;

import dev.tether.abi.Mman;
import dev.tether.guest.kernel.GuestMemory;
import dev.tether.guest.kernel.GuestMemoryException;
import java.util.Map;
import java.util.TreeMap;

/**
 * TEST DOUBLE: a guest address space held in Java arrays, page by page, for unit tests of the loader and
 * the system calls without a platform. It enforces what {@code process_vm_readv/writev} enforce on a
 * real subprocess (process_vm_readv(2)): a copy touching an unmapped page, reading a page without
 * PROT_READ or writing one without PROT_WRITE fails (here: {@link GuestMemoryException}).
 */
public final class InMemoryGuestMemory implements GuestMemory {
    private final int pageSize;
    private final long limit;
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private final Map<Long, Integer> prots = new TreeMap<>();
    private int mapCalls;

    public InMemoryGuestMemory(int pageSize, long limit) {
        this.pageSize = pageSize;
        this.limit = limit;
    }

    /** 4 KiB pages below 0x7fff_ffff_f000 - a page, where a real x86-64 stub page might be. */
    public static InMemoryGuestMemory amd64Like() {
        return new InMemoryGuestMemory(4096, 0x7fff_ffff_e000L);
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
        check(address, length);
        mapCalls++;
        for (long p = address; p < address + length; p += pageSize) {
            pages.put(p, new byte[pageSize]);
            prots.put(p, prot);
        }
    }

    @Override
    public void unmap(long address, long length) {
        check(address, length);
        for (long p = address; p < address + length; p += pageSize) {
            pages.remove(p);
            prots.remove(p);
        }
    }

    @Override
    public void protect(long address, long length, int prot) {
        check(address, length);
        for (long p = address; p < address + length; p += pageSize) {
            if (!pages.containsKey(p)) {
                throw new IllegalStateException(String.format("mprotect of unmapped page %#x", p));
            }
            prots.put(p, prot);
        }
    }

    @Override
    public void read(long address, byte[] into, int offset, int length) {
        copy(address, into, offset, length, false, true);
    }

    @Override
    public void write(long address, byte[] from, int offset, int length) {
        copy(address, from, offset, length, true, true);
    }

    /** Reads regardless of protection (what a test looks at, not what the guest kernel may do). */
    public byte[] peek(long address, int length) {
        byte[] b = new byte[length];
        copy(address, b, 0, length, false, false);
        return b;
    }

    /** The protection of the page holding {@code address}, or -1 when unmapped. */
    public int protection(long address) {
        Integer p = prots.get(address & -pageSize);
        return p == null ? -1 : p;
    }

    public boolean mapped(long address) {
        return pages.containsKey(address & -(long) pageSize);
    }

    /** Number of mapped pages. */
    public int mappedPages() {
        return pages.size();
    }

    private void copy(long address, byte[] buf, int offset, int length, boolean write, boolean enforce) {
        int done = 0;
        while (done < length) {
            long at = address + done;
            long page = at & -(long) pageSize;
            byte[] p = pages.get(page);
            int prot = prots.getOrDefault(page, 0);
            if (p == null || enforce && (write ? (prot & Mman.PROT_WRITE) == 0 : (prot & Mman.PROT_READ) == 0)) {
                throw new GuestMemoryException(address, length, p == null ? String.format("page %#x unmapped", page)
                        : String.format("page %#x protection %d", page, prot), null);
            }
            int in = (int) (at - page);
            int n = Math.min(length - done, pageSize - in);
            if (write) {
                System.arraycopy(buf, offset + done, p, in, n);
            } else {
                System.arraycopy(p, in, buf, offset + done, n);
            }
            done += n;
        }
    }

    private void check(long address, long length) {
        if ((address & (pageSize - 1)) != 0 || (length & (pageSize - 1)) != 0 || length <= 0 || address + length > limit) {
            throw new IllegalArgumentException(String.format("unaligned or out-of-range %#x+%#x", address, length));
        }
    }
}
