package dev.tether.api;

/**
 * What Tether runs system calls in: a {@link Stub} (one traced stub thread made from the JVM) or
 * a {@link Subprocess} (a stub process forked from the master, with a stub thread per calling
 * thread). One verb for both, {@link #syscall}: set the stub thread's registers from its initial
 * set with the number and arguments, let it run to the breakpoint after its syscall instruction,
 * read the result (gVisor's {@code syscall}/{@code syscallIgnoreInterrupt} in
 * {@code pkg/sentry/platform/ptrace/subprocess.go}).
 *
 * <p>Calls from virtual threads are refused ({@link WrongThreadException}): ptrace binds a tracee
 * to one OS thread.
 */
@org.osgi.annotation.versioning.ProviderType
public interface SyscallTarget extends AutoCloseable {
    /** The stub's process id (thread-group id). */
    int pid();

    /**
     * Runs one system call in the stub and returns its raw result: the value, or -errno. The
     * arguments are the caller's, unchecked: only the stub's seccomp filter limits them.
     *
     * @throws IllegalArgumentException with more than six arguments
     * @throws StubDiedException if the stub died, e.g. because the seccomp filter killed it; the
     *     message names the system call
     * @throws PlatformClosedException if the stub or its platform was closed
     * @throws WrongThreadException when called from a virtual thread
     */
    long syscall(long sysno, long... args);

    /**
     * {@link #syscall(long, long...)} by name, resolved with the arch's syscall table.
     *
     * @throws IllegalArgumentException when the arch has no system call of that name
     */
    long syscall(String name, long... args);

    /** The current registers of the stub thread that {@link #syscall} uses from this thread. */
    Registers registers();

    /** True until the stub died or was closed. */
    boolean alive();

    /** How the stub ended ({@code killed by SIGSYS}), or null while it is alive. */
    String death();

    /**
     * Ends this handle: a {@link Stub} is killed and reaped, a {@link Subprocess} goes back to
     * the pool (see each).
     */
    @Override
    void close();
}
