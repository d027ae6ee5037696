package dev.tether.guest.spi;

/**
 * A stub thread traced by the thread that made it ({@link StubThreads#newThread}) until
 * {@link #detach}; every method but {@link #tid()} must be called on that thread.
 */
@org.osgi.annotation.versioning.ProviderType
public interface DetachableThread {

    /** The thread's id in the host's pid namespace. */
    int tid();

    /**
     * Injects one system call into this thread (from the stub's syscall instruction, under the
     * subprocess's seccomp filter) and returns its raw result: the value, or -errno.
     *
     * @throws IllegalStateException after {@link #detach}
     * @throws dev.tether.api.StubDiedException if the thread died (e.g. killed by the filter)
     */
    long syscall(long sysno, long... args);

    /**
     * Sets the thread's general registers ({@code NT_PRSTATUS} words in the arch's register layout)
     * and, when {@code fpState} is not null, its FP regset {@code fpRegset}; gives it the JVM's CPU
     * mask; and detaches it ({@code PTRACE_DETACH}, ptrace(2)): from then on it runs untraced, its
     * signals go to its own handlers, and nothing in Java waits for it. It dies with its subprocess.
     *
     * @throws IllegalStateException if already detached
     */
    void detach(long[] registers, int fpRegset, byte[] fpState);
}
