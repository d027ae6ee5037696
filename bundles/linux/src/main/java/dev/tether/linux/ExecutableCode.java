package dev.tether.linux;

import dev.tether.abi.Mman;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Machine code mapped executable in this process (read-execute, never writable and executable at
 * once), called with one pointer argument through one direct-mapped native call, and unmapped by
 * {@link #close()} once no call is running in it.
 *
 * <p>The call goes through libc's {@code bsearch(key, base, 1, size, compar)} with {@code compar}
 * = the code: with one element, bsearch compares the key with that element once, calling
 * {@code compar(key, base)} (glibc stdlib/bsearch.c, and the C standard's bsearch: "the
 * comparison function ... called with two arguments that point to the key object and to an array
 * element"), and returns. That makes the code's call a JNA direct call (one JNI transition, about
 * 60 ns on the 2-vCPU VMs here), where JNA's {@code Function.invoke} on a raw address builds an
 * argument array and converts each argument on every call. The code must be a C-ABI function
 * {@code int f(void *key, const void *element)} that returns 0 (bsearch then returns the element;
 * the result is not used).
 *
 * <p>Thread-safe. A call checks in and out ({@code calls}), so that {@link #close()} never
 * unmaps code a thread still runs in: the last call out of closed code unmaps it.
 */
public final class ExecutableCode implements AutoCloseable {
    /** Set in {@link #calls} once closed; the low bits count the calls running. */
    private static final long CLOSED = 1L << 62;
    /** Set in {@link #calls} once unmapped. */
    private static final long UNMAPPED = 1L << 61;

    private final long address;
    private final long length;
    private final AtomicLong calls = new AtomicLong();

    private ExecutableCode(long address, long length) {
        this.address = address;
        this.length = length;
    }

    /** Maps {@code code} (position-independent, entry at offset 0) read-execute in whole pages. */
    public static ExecutableCode map(byte[] code) {
        if (code.length == 0) {
            throw new IllegalArgumentException("no machine code to map");
        }
        long page = Sys.pageSize();
        long length = (code.length + page - 1) / page * page;
        long at = Sys.mmap(0, length, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        try {
            Sys.pokeBytes(at, code);
            Sys.mprotect(at, length, Mman.PROT_READ | Mman.PROT_EXEC);
        } catch (RuntimeException e) {
            Sys.munmap(at, length);
            throw e;
        }
        return new ExecutableCode(at, length);
    }

    /** Where the code starts. */
    public long address() {
        return address;
    }

    /**
     * Calls the code with {@code argument}, the address of {@code block} (it gets that address as
     * its first and second argument), once; the caller must have filled the block with what the code
     * expects, which is the only thing between this call and a crash of the JVM. Returns false,
     * without calling, once {@link #close()}d.
     */
    public boolean call(NativeMemory block) {
        long a = block.address();
        if ((calls.incrementAndGet() & (CLOSED | UNMAPPED)) != 0) {
            out();
            return false;
        }
        try {
            LibC.bsearch(a, a, 1, 1, address);
        } finally {
            out();
        }
        return true;
    }

    private void out() {
        long now = calls.decrementAndGet();
        if (now == CLOSED && calls.compareAndSet(CLOSED, CLOSED | UNMAPPED)) {
            Sys.munmap(address, length);
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return (calls.get() & CLOSED) != 0;
    }

    /** Unmaps the code now, or when the last call running in it returns; later calls are refused. */
    @Override
    public void close() {
        long before;
        do {
            before = calls.get();
            if ((before & CLOSED) != 0) {
                return;
            }
        } while (!calls.compareAndSet(before, before | CLOSED));
        if (before == 0 && calls.compareAndSet(CLOSED, CLOSED | UNMAPPED)) {
            Sys.munmap(address, length);
        }
    }
}
