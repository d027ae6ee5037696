package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Mman;
import java.util.List;
import org.junit.jupiter.api.Test;

/** brk, anonymous mmap/munmap/mprotect/mremap and madvise on the guest kernel's own records. */
class MemorySyscallsTest {
    static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    final KernelFixture k = new KernelFixture(List.of());

    @Test
    void brkGrowsAndShrinksFromItsStart() {
        k.process.mm.setBrk(0x600000, 0x700000);
        assertEquals(0x600000, k.call("brk", 0), "brk(0) reports the break");
        assertEquals(0x603010, k.call("brk", 0x603010));
        assertTrue(k.memory.mapped(0x603000) && !k.memory.mapped(0x604000));
        k.memory.write(0x603000, new byte[] {7}, 0, 1);
        assertEquals(0x601000, k.call("brk", 0x601000));
        assertFalse(k.memory.mapped(0x601000), "shrinking unmaps");
        assertEquals(0x601000, k.call("brk", 0x800000), "beyond the limit: unchanged");
        assertEquals(0x601000, k.call("brk", 0x500000), "below the start: unchanged");
    }

    @Test
    void mmapPlacesTopDownAndHonoursFixedAndNoreplace() {
        long a = k.call("mmap", 0, 8192, RW, ANON, -1, 0);
        long b = k.call("mmap", 0, 4096, Mman.PROT_READ, ANON, -1, 0);
        assertEquals(a - 4096, b, "the next mapping right below");
        assertEquals(Mman.PROT_READ, k.memory.protection(b));
        assertEquals(-Linux.EEXIST, k.call("mmap", a, 4096, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0));
        assertEquals(a, k.call("mmap", a, 4096, Mman.PROT_NONE, ANON | Mman.MAP_FIXED, -1, 0));
        assertEquals(Mman.PROT_NONE, k.memory.protection(a));
        assertEquals(RW, k.memory.protection(a + 4096), "the rest of the old mapping stays");
        assertEquals(0x10000000L, k.call("mmap", 0x10000000L, 4096, RW, ANON, -1, 0), "a free hint is taken");
        assertEquals(-Linux.EINVAL, k.call("mmap", 0, 0, RW, ANON, -1, 0));
        assertEquals(-Linux.EINVAL, k.call("mmap", 0x10000001L, 4096, RW, ANON | Mman.MAP_FIXED, -1, 0));
        assertEquals(-Linux.EPERM, k.call("mmap", 0x1000, 4096, RW, ANON | Mman.MAP_FIXED, -1, 0), "below mmap_min_addr");
        assertEquals(-Linux.EPERM, k.call("mmap", k.memory.limit(), 4096, RW, ANON | Mman.MAP_FIXED, -1, 0), "the stub's");
        assertEquals(-Linux.EBADF, k.call("mmap", 0, 4096, Mman.PROT_READ, Mman.MAP_PRIVATE, 7, 0));
    }

    @Test
    void munmapAndMprotectSplitMappings() {
        long a = k.call("mmap", 0, 4 * 4096, RW, ANON, -1, 0);
        assertEquals(0, k.call("munmap", a + 4096, 4096));
        assertFalse(k.memory.mapped(a + 4096));
        assertEquals(-Linux.ENOMEM, k.call("mprotect", a, 3 * 4096, Mman.PROT_READ), "a hole in the range");
        assertEquals(0, k.call("mprotect", a + 2 * 4096, 4096, Mman.PROT_READ));
        assertEquals(Mman.PROT_READ, k.memory.protection(a + 2 * 4096));
        assertEquals(RW, k.memory.protection(a + 3 * 4096));
        assertEquals(-Linux.EINVAL, k.call("mprotect", a + 1, 4096, Mman.PROT_READ));
        assertEquals(-Linux.EINVAL, k.call("munmap", a + 1, 4096));
        long count = k.process.mm.mappings().stream().filter(v -> v.start() >= a && v.end() <= a + 4 * 4096).count();
        assertEquals(3, count, "three pieces: " + k.process.mm.mappings());
    }

    @Test
    void mremapGrowsInPlaceOrMovesWithTheData() {
        long a = k.call("mmap", 0, 4096, RW, ANON, -1, 0);
        k.memory.write(a, new byte[] {1, 2, 3}, 0, 3);
        // the area above a is the previous mapping (the scratch area): it cannot grow in place
        assertEquals(-Linux.ENOMEM, k.call("mremap", a, 4096, 8192, 0));
        long moved = k.call("mremap", a, 4096, 3 * 4096, Linux.MREMAP_MAYMOVE);
        assertNotEquals(a, moved);
        assertArrayEquals(new byte[] {1, 2, 3}, k.peek(moved, 3));
        assertFalse(k.memory.mapped(a), "the old range is gone");
        assertEquals(moved, k.call("mremap", moved, 3 * 4096, 4096, 0), "shrinking stays");
        assertFalse(k.memory.mapped(moved + 4096));
        long grown = k.call("mremap", moved, 4096, 2 * 4096, 0);
        assertEquals(moved, grown, "room above after the shrink: in place");
        assertEquals(-Linux.EINVAL, k.call("mremap", moved, 4096, 8192, Linux.MREMAP_FIXED));
        assertEquals(-Linux.EFAULT, k.call("mremap", 0x20000000L, 4096, 8192, Linux.MREMAP_MAYMOVE));
    }

    @Test
    void madviseDontneedZeroes() {
        long a = k.call("mmap", 0, 8192, RW, ANON, -1, 0);
        k.memory.write(a, new byte[] {9, 9}, 0, 2);
        assertEquals(0, k.call("madvise", a, 8192, Linux.MADV_DONTNEED));
        assertArrayEquals(new byte[2], k.peek(a, 2));
        assertEquals(0, k.call("madvise", a, 8192, 0), "other advice is accepted and ignored");
    }
}
