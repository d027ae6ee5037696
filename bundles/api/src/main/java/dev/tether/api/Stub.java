package dev.tether.api;

/**
 * A traced stub thread: a process (or a thread of one) whose code is the stub page, held stopped
 * under ptrace by one of the platform's tracer threads and locked down by seccomp. Safe to use
 * from any platform thread: every ptrace call runs on the owning tracer thread.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Stub extends AutoCloseable {
    /** The stub's process id (thread-group id). */
    int pid();

    /** The traced thread's id (equal to {@link #pid()} for the first thread). */
    int tid();

    /** The registers with which injected syscalls start (IP at the stub's syscall instruction). */
    Registers initialRegisters();

    /**
     * Runs one system call in the stub (spec §1.6/§1.7: registers from the initial set, PTRACE_CONT,
     * the stub traps after the syscall) and returns its raw result: the value, or -errno.
     *
     * @throws StubDiedException if the stub died, e.g. because the seccomp filter killed it
     * @throws PlatformClosedException if the stub or its platform was closed
     * @throws WrongThreadException when called from a virtual thread
     */
    long inject(long sysno, long... args);

    /** {@link #inject(long, long...)} by syscall name, resolved with the arch's syscall table. */
    long inject(String syscall, long... args);

    /** The stub's current registers (as left by the last injection). */
    Registers registers();

    /** True until the stub died or was closed. */
    boolean alive();

    /** How the stub ended ({@code killed by SIGSYS}), or null while it is alive. */
    String death();

    /** Kills the stub and reaps it (idempotent). */
    @Override
    void close();
}
