package dev.tether.guest.kernel;

import dev.tether.abi.Mman;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The guest's address space as the guest kernel keeps it (gVisor's {@code mm.MemoryManager}, much
 * reduced): its private anonymous mappings, the program break, and the choice of addresses. The
 * records are the truth: {@link GuestMemory} is only told to map, unmap and protect, so the kernel's
 * own placement never matters. Mappings never reach {@link GuestMemory#limit()} (the stub page lies
 * above) nor go below {@link #MIN_ADDRESS}. Single-threaded, as the guest is.
 */
final class MemoryManager {
    /** vm.mmap_min_addr's usual default (Documentation/admin-guide/sysctl/vm.rst): nothing maps below. */
    static final long MIN_ADDRESS = 0x10000;

    /** One mapping: [start, end), its PROT_* bits. */
    record Vma(long start, long end, int prot) {
    }

    private final GuestMemory memory;
    private final long page;
    private final TreeMap<Long, Vma> vmas = new TreeMap<>();
    private long mmapTop;
    private long brkStart;
    private long brk;
    private long brkLimit;

    MemoryManager(GuestMemory memory) {
        this.memory = memory;
        this.page = memory.pageSize();
        this.mmapTop = memory.limit();
    }

    long pageSize() {
        return page;
    }

    long pageUp(long a) {
        return (a + page - 1) & -page;
    }

    long pageDown(long a) {
        return a & -page;
    }

    /** The top of the area that {@code mmap} without an address takes from, downwards (below the stack). */
    void setMmapTop(long top) {
        this.mmapTop = pageDown(top);
    }

    /** The program break starts at {@code start} (page-aligned by the loader) and may grow to {@code limit}. */
    void setBrk(long start, long limit) {
        this.brkStart = pageUp(start);
        this.brk = brkStart;
        this.brkLimit = limit;
    }

    long brkStart() {
        return brkStart;
    }

    /** The mappings, in address order (a copy). */
    List<Vma> mappings() {
        return new ArrayList<>(vmas.values());
    }

    /** Maps {@code [address, address+length)} fixed, replacing whatever was there. */
    void mapFixed(long address, long length, int prot) {
        checkRange(address, length);
        forget(address, address + length);
        memory.map(address, length, prot);
        vmas.put(address, new Vma(address, address + length, prot));
    }

    boolean isFree(long address, long length) {
        long end = address + length;
        if (address < MIN_ADDRESS || end > memory.limit() || end < address) {
            return false;
        }
        Map.Entry<Long, Vma> below = vmas.lowerEntry(end);
        return below == null || below.getValue().end() <= address;
    }

    /** The highest free range of {@code length} bytes below the mmap top, or -ENOMEM. */
    long findFree(long length) {
        long candidate = mmapTop - length;
        while (candidate >= MIN_ADDRESS) {
            Map.Entry<Long, Vma> below = vmas.lowerEntry(candidate + length);
            if (below == null || below.getValue().end() <= candidate) {
                return candidate;
            }
            candidate = pageDown(below.getValue().start() - length);
        }
        return -Linux.ENOMEM;
    }

    /** mmap(2) of anonymous memory: the address or -errno. File mappings are the caller's business. */
    long mmapAnonymous(long address, long length, int prot, int flags) {
        if (length <= 0 || (address & (page - 1)) != 0 && (flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0) {
            return -Linux.EINVAL;
        }
        long len = pageUp(length);
        if (len <= 0) {
            return -Linux.ENOMEM;
        }
        long at;
        if ((flags & Mman.MAP_FIXED_NOREPLACE) != 0) {
            if (!isFree(address, len)) {
                return address < MIN_ADDRESS || address + len > memory.limit() ? -Linux.EPERM : -Linux.EEXIST;
            }
            at = address;
        } else if ((flags & Mman.MAP_FIXED) != 0) {
            if (address < MIN_ADDRESS || address + len > memory.limit() || address + len < address) {
                return -Linux.EPERM;
            }
            at = address;
        } else if (address != 0 && isFree(pageDown(address), len)) {
            at = pageDown(address);
        } else {
            at = findFree(len);
            if (at < 0) {
                return at;
            }
        }
        mapFixed(at, len, prot);
        return at;
    }

    long munmap(long address, long length) {
        if ((address & (page - 1)) != 0 || length <= 0) {
            return -Linux.EINVAL;
        }
        long end = address + pageUp(length);
        if (end < address || end > memory.limit()) {
            return -Linux.EINVAL;
        }
        forget(address, end);
        memory.unmap(address, end - address);
        return 0;
    }

    long mprotect(long address, long length, int prot) {
        if ((address & (page - 1)) != 0) {
            return -Linux.EINVAL;
        }
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0) {
            return -Linux.EINVAL;
        }
        long end = address + pageUp(length);
        if (length == 0) {
            return 0;
        }
        if (!fullyMapped(address, end)) {
            return -Linux.ENOMEM;
        }
        for (Vma v : split(address, end)) {
            vmas.put(v.start(), new Vma(v.start(), v.end(), prot));
        }
        memory.protect(address, end - address, prot);
        return 0;
    }

    /** mremap(2) of anonymous memory: the new address or -errno. MREMAP_FIXED is not offered (EINVAL). */
    long mremap(long old, long oldLength, long newLength, int flags) {
        if ((old & (page - 1)) != 0 || (flags & ~Linux.MREMAP_MAYMOVE) != 0 || newLength <= 0) {
            return -Linux.EINVAL;
        }
        long oldLen = pageUp(oldLength);
        long newLen = pageUp(newLength);
        if (oldLen == 0 || !fullyMapped(old, old + oldLen)) {
            return -Linux.EFAULT;
        }
        int prot = vmas.floorEntry(old).getValue().prot();
        if (newLen <= oldLen) {
            if (newLen < oldLen) {
                munmap(old + newLen, oldLen - newLen);
            }
            return old;
        }
        if (isFree(old + oldLen, newLen - oldLen)) {
            mapFixed(old + oldLen, newLen - oldLen, prot);
            return old;
        }
        if ((flags & Linux.MREMAP_MAYMOVE) == 0) {
            return -Linux.ENOMEM;
        }
        long to = findFree(newLen);
        if (to < 0) {
            return to;
        }
        mapFixed(to, newLen, prot | Mman.PROT_WRITE);
        byte[] chunk = new byte[(int) Math.min(oldLen, 1 << 20)];
        for (long done = 0; done < oldLen; done += chunk.length) {
            int n = (int) Math.min(chunk.length, oldLen - done);
            memory.read(old + done, chunk, 0, n);
            memory.write(to + done, chunk, 0, n);
        }
        if ((prot & Mman.PROT_WRITE) == 0) {
            memory.protect(to, newLen, prot);
            vmas.put(to, new Vma(to, to + newLen, prot));
        }
        munmap(old, oldLen);
        return to;
    }

    /** brk(2): the new break, or the old one when the request cannot be met (the kernel's way). */
    long brk(long requested) {
        if (requested < brkStart || requested > brkLimit) {
            return brk;
        }
        long oldTop = pageUp(brk);
        long newTop = pageUp(requested);
        if (newTop > oldTop) {
            if (!isFree(oldTop, newTop - oldTop)) {
                return brk;
            }
            mapFixed(oldTop, newTop - oldTop, Mman.PROT_READ | Mman.PROT_WRITE);
        } else if (newTop < oldTop) {
            munmap(newTop, oldTop - newTop);
        }
        brk = requested;
        return brk;
    }

    /** madvise(MADV_DONTNEED) on private anonymous memory: the range reads as zeros afterwards. */
    long dontNeed(long address, long length) {
        if ((address & (page - 1)) != 0) {
            return -Linux.EINVAL;
        }
        long end = address + pageUp(length);
        if (!fullyMapped(address, end)) {
            return -Linux.ENOMEM;
        }
        for (Vma v : split(address, end)) {
            memory.map(v.start(), v.end() - v.start(), v.prot());
        }
        return 0;
    }

    boolean fullyMapped(long start, long end) {
        long at = start;
        Map.Entry<Long, Vma> e = vmas.floorEntry(start);
        if (e == null || e.getValue().end() <= start) {
            return false;
        }
        while (at < end) {
            Vma v = vmas.floorEntry(at) == null ? null : vmas.floorEntry(at).getValue();
            if (v == null || v.end() <= at) {
                return false;
            }
            at = v.end();
        }
        return true;
    }

    /** Splits the records at start and end; returns the records inside [start, end). */
    private List<Vma> split(long start, long end) {
        cut(start);
        cut(end);
        return new ArrayList<>(vmas.subMap(start, true, end, false).values());
    }

    private void cut(long at) {
        Map.Entry<Long, Vma> e = vmas.lowerEntry(at);
        if (e != null && e.getValue().end() > at) {
            Vma v = e.getValue();
            vmas.put(v.start(), new Vma(v.start(), at, v.prot()));
            vmas.put(at, new Vma(at, v.end(), v.prot()));
        }
    }

    private void forget(long start, long end) {
        split(start, end);
        vmas.subMap(start, true, end, false).clear();
    }

    private void checkRange(long address, long length) {
        if ((address & (page - 1)) != 0 || (length & (page - 1)) != 0 || length <= 0 || address < MIN_ADDRESS
                || address + length > memory.limit()) {
            throw new IllegalArgumentException(String.format(
                    "guest mapping %#x+%#x: not page-aligned or outside %#x..%#x", address, length, MIN_ADDRESS,
                    memory.limit()));
        }
    }
}
