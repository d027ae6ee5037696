package dev.tether.guest.kernel;

import dev.tether.abi.Mman;
import java.util.Map;

/**
 * The memory system calls of {@link MiniLinux} (mmap(2), munmap(2), mprotect(2), mremap(2), brk(2),
 * madvise(2)) on the guest's {@link MemoryManager}: private anonymous memory only, plus private
 * read-only copies of files under the granted directories (what a loader or {@code cat} may map).
 */
final class MemorySyscalls {
    private MemorySyscalls() {
    }

    static void register(Map<String, SyscallHandler> h) {
        h.put("brk", (t, c) -> SyscallResult.value(t.process().mm.brk(c.arg(0))));
        h.put("mmap", (t, c) -> SyscallResult.value(mmap(t, c.arg(0), c.arg(1), (int) c.arg(2), (int) c.arg(3),
                (int) c.arg(4), c.arg(5))));
        h.put("munmap", (t, c) -> SyscallResult.value(t.process().mm.munmap(c.arg(0), c.arg(1))));
        h.put("mprotect", (t, c) -> SyscallResult.value(t.process().mm.mprotect(c.arg(0), c.arg(1), (int) c.arg(2))));
        h.put("mremap", (t, c) -> SyscallResult.value(t.process().mm.mremap(c.arg(0), c.arg(1), c.arg(2), (int) c.arg(3))));
        h.put("madvise", (t, c) -> SyscallResult.value(
                (int) c.arg(2) == Linux.MADV_DONTNEED ? t.process().mm.dontNeed(c.arg(0), c.arg(1)) : 0));
    }

    static long mmap(Task t, long address, long length, int prot, int flags, int fd, long offset) {
        MemoryManager mm = t.process().mm;
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0) {
            return -Linux.EINVAL;
        }
        if ((flags & Mman.MAP_ANONYMOUS) != 0) {
            return mm.mmapAnonymous(address, length, prot, flags);
        }
        // a file: a private copy of a regular file this guest opened for reading
        OpenFile f = t.process().fds.get(fd);
        if (!(f instanceof OpenFile.HostFile)) {
            return -Linux.ENODEV; // the fd's file does not support mapping (mmap(2))
        }
        if ((flags & Mman.MAP_SHARED) != 0 && (prot & Mman.PROT_WRITE) != 0) {
            return -Linux.EACCES; // a writable shared mapping of a file opened read-only (mmap(2))
        }
        if ((offset & (mm.pageSize() - 1)) != 0) {
            return -Linux.EINVAL;
        }
        long at = mm.mmapAnonymous(address, length, prot | Mman.PROT_WRITE, flags | Mman.MAP_ANONYMOUS);
        if (at < 0) {
            return at;
        }
        byte[] chunk = new byte[(int) Math.min(length, 1 << 20)];
        for (long done = 0; done < length;) {
            int want = (int) Math.min(chunk.length, length - done);
            long from = offset + done;
            int n = FileSyscalls.io(() -> f.pread(chunk, want, from));
            if (n <= 0) {
                break;
            }
            t.memory().write(at + done, chunk, 0, n);
            done += n;
        }
        if ((prot & Mman.PROT_WRITE) == 0) {
            mm.mprotect(at, mm.pageUp(length), prot);
        }
        return at;
    }
}
