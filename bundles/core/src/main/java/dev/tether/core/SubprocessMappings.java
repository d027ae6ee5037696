package dev.tether.core;

import dev.tether.abi.Mman;
import dev.tether.api.SyscallFailedException;
import dev.tether.api.SyscallTarget;

/**
 * A subprocess's memory mappings (gVisor's {@code subprocess.MapFile} and {@code Unmap} in
 * subprocess.go): each one an injected {@code mmap}, {@code munmap} or {@code mprotect}, kept off
 * the stub page ({@link StubPageGuard}) and turned into a {@link SyscallFailedException} when the
 * kernel refuses it; and the release's unmapping of everything but the stub page. It injects
 * through the subprocess's API ({@link SyscallTarget#syscall}), so it needs nothing else of it.
 */
final class SubprocessMappings {
    /** An injection through one particular stub thread: the raw result, -errno on failure. */
    @FunctionalInterface
    interface Injection {
        long inject(long sysno, long... args);
    }

    private final SyscallTarget target;
    private final PlatformContext context;

    SubprocessMappings(SyscallTarget target, PlatformContext context) {
        this.target = target;
        this.context = context;
    }

    private long checked(String what, long r) {
        // -4095..-1 is an errno (the kernel's IS_ERR_VALUE, include/linux/err.h MAX_ERRNO 4095)
        if (r < 0 && r > -4096) {
            throw new SyscallFailedException(what + " in subprocess " + target.pid(), (int) -r);
        }
        return r;
    }

    long mapAnonymous(long address, long length, int prot) {
        StubPageGuard.check(context.facts(), target.pid(), "mapAnonymous", address, address != 0 ? length : 0); // only MAP_FIXED replaces
        int flags = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | (address != 0 ? Mman.MAP_FIXED : 0);
        return checked(String.format("mmap(0x%x, %d, prot=%d, anonymous)", address, length, prot),
                target.syscall(context.syscallNumber("mmap"), address, length, prot, flags, -1, 0));
    }

    long mapFile(long address, long length, int prot, int fd, long offset) {
        StubPageGuard.check(context.facts(), target.pid(), "mapFile", address, length);
        // MAP_SHARED | MAP_FIXED as gVisor's subprocess.MapFile (subprocess.go); fd is valid in the stub
        // because every stub shares the JVM's fd table (CLONE_FILES).
        return checked(String.format("mmap(0x%x, %d, prot=%d, fd=%d, offset=%d)", address, length, prot, fd, offset),
                target.syscall(context.syscallNumber("mmap"), address, length, prot, Mman.MAP_SHARED | Mman.MAP_FIXED, fd, offset));
    }

    void unmap(long address, long length) {
        StubPageGuard.check(context.facts(), target.pid(), "unmap", address, length);
        checked(String.format("munmap(0x%x, %d)", address, length), target.syscall(context.syscallNumber("munmap"), address, length));
    }

    void protect(long address, long length, int prot) {
        StubPageGuard.check(context.facts(), target.pid(), "protect", address, length);
        checked(String.format("mprotect(0x%x, %d, %d)", address, length, prot),
                target.syscall(context.syscallNumber("mprotect"), address, length, prot));
    }

    /**
     * gVisor's subprocess.unmap: everything but the stub page goes, each {@code munmap} through
     * {@code injectFirst} (the first thread, on its owner: the caller's threads may be gone).
     */
    void unmapAllButStub(Injection injectFirst) {
        long stub = context.facts().stubAddress();
        int munmap = context.syscallNumber("munmap");
        StubAddressSpace.unmapAllButStub(target.pid(), (at, len) -> injectFirst.inject(munmap, at, len), stub,
                stub + context.facts().stubLength(), context.maximumUserAddress());
    }
}
