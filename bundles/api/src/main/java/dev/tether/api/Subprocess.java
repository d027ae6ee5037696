package dev.tether.api;

import java.util.List;

/**
 * A stub process forked from the platform's master stub (gVisor's {@code subprocess}): an address
 * space of its own, holding only the stub page until mappings are injected. Each calling platform
 * thread gets its own stub thread in it (gVisor's {@code syscallThreads.lookupOrCreate}), traced
 * by that calling thread itself, so an injection costs no thread hand-off.
 *
 * <p><b>Calling threads.</b> ptrace binds a stub thread to the OS thread that attached it, and
 * the kernel kills the stub thread - and with it the whole subprocess - when that thread exits
 * (PTRACE_O_EXITKILL, ptrace(2); docs/architecture.md, section 10, item 3). Use long-lived platform threads (a fixed pool) for
 * subprocess work; virtual threads are refused. A subprocess whose stub died is reported by a
 * {@link StubDiedException} (contained mode) and can only be destroyed.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Subprocess extends SyscallTarget {
    /**
     * Runs one syscall through the calling thread's stub thread: the value, or -errno. The
     * kernel keeps the stub page itself from being unmapped, mapped over or mprotected where it
     * supports sealing it (mseal, Linux 6.10+: the call returns -EPERM).
     */
    @Override
    long syscall(long sysno, long... args);

    /**
     * Maps anonymous private memory: at {@code address} exactly (MAP_FIXED) when it is not 0,
     * wherever the kernel chooses otherwise. Returns the address.
     *
     * @throws IllegalArgumentException when a MAP_FIXED range overlaps the stub page
     *     ({@link PlatformFacts#stubAddress()}, {@link PlatformFacts#stubLength()} bytes): mapping
     *     over it would destroy the stub
     */
    long mapAnonymous(long address, long length, int prot);

    /**
     * Maps {@code length} bytes of a file the JVM holds open ({@code fd}, valid in the stub
     * because stubs share the JVM's fd table through CLONE_FILES) at {@code address} (MAP_FIXED;
     * MAP_SHARED, so writes through either side are seen by the other). Returns the address.
     *
     * @throws IllegalArgumentException when the range overlaps the stub page
     */
    long mapFile(long address, long length, int prot, int fd, long offset);

    /**
     * munmap.
     *
     * @throws IllegalArgumentException when the range overlaps the stub page
     */
    void unmap(long address, long length);

    /**
     * mprotect.
     *
     * @throws IllegalArgumentException when the range overlaps the stub page, whose protection
     *     never changes (writable stub code could be rewritten by whatever writes there)
     */
    void protect(long address, long length, int prot);

    /** Copies {@code length} bytes of the subprocess's memory at {@code address} (process_vm_readv). */
    void read(long address, byte[] into, int offset, int length);

    /** Copies {@code length} bytes into the subprocess's memory at {@code address} (process_vm_writev). */
    void write(long address, byte[] from, int offset, int length);

    /** The calling thread's stub thread's current registers. */
    @Override
    Registers registers();

    /** The stub threads of this subprocess, in creation order (the first serves clone requests). */
    List<StubThreadInfo> threads();

    /** True until the subprocess died or was destroyed. */
    @Override
    boolean alive();

    /** Why the subprocess ended, or null while it is alive. */
    @Override
    String death();

    /**
     * Gives the subprocess back: its address space is unmapped down to the stub page and it is
     * reused by a later {@code newSubprocess} (gVisor's {@code Release}). A dead subprocess is
     * destroyed instead.
     */
    @Override
    void close();

    /** Kills and reaps the subprocess and its stub threads (contained mode only). */
    void destroy();
}
