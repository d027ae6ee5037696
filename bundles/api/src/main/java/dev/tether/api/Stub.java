package dev.tether.api;

/**
 * A traced stub thread: a process (or a thread of one) whose code is the stub page, held stopped
 * under ptrace by one of the platform's tracer threads and locked down by seccomp. Safe to use
 * from any platform thread: every ptrace call runs on the owning tracer thread.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Stub extends SyscallTarget {
    /** The traced thread's id (equal to {@link #pid()} for the first thread). */
    int tid();

    /** The registers with which injected syscalls start (IP at the stub's syscall instruction). */
    Registers initialRegisters();

    /** The stub's current registers (as left by the last system call). */
    @Override
    Registers registers();

    /** Kills the stub and reaps it (idempotent). */
    @Override
    void close();
}
