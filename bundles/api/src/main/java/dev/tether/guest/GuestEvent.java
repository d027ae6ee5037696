package dev.tether.guest;

import java.util.Arrays;

/**
 * Why {@link GuestContext#switchTo()} returned. The context's registers are those at the event (for a
 * {@link Syscall}: after the syscall instruction, the syscall not run).
 */
public sealed interface GuestEvent {

    /**
     * The guest made system call {@code number} with {@code args} (six, the unused ones as the registers
     * held them). It did not run: set the result with {@link GuestContext#setSyscallResult(long)} (or
     * change the registers otherwise) and switch again. So that a round trip allocates nothing, a
     * platform may return the same event object, its {@code args} array refilled, from a later switch of
     * the same context: read the arguments before switching again, and copy what you keep.
     */
    record Syscall(long number, long[] args) implements GuestEvent {
        public Syscall {
            if (args.length != 6) {
                throw new IllegalArgumentException("a system call has 6 argument registers, got " + args.length);
            }
        }

        /** Argument {@code i} (0..5). */
        public long arg(int i) {
            return args[i];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Syscall s && s.number == number && Arrays.equals(s.args, args);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(number) * 31 + Arrays.hashCode(args);
        }

        @Override
        public String toString() {
            return "Syscall[" + number + ", " + Arrays.toString(args) + "]";
        }
    }

    /**
     * A synchronous fault the guest's code caused (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP): signal
     * {@code signo} with {@code si_code} {@code code} at address {@code address}, instruction pointer
     * {@code ip}. The guest did not get the signal; its IP still points at the faulting instruction
     * (a trap: after it).
     */
    record Fault(int signo, int code, long address, long ip, FaultAccess access) implements GuestEvent {
    }

    /**
     * The guest executed CPUID while CPUID faulting is on (amd64 only; gVisor's
     * {@code platform.ErrContextSignalCPUID}): emulate it and advance the IP by 2.
     */
    record CpuidFault(long ip) implements GuestEvent {
    }

    /**
     * A signal that is not a fault of the guest's own code arrived for the guest (e.g. a SIGSYS of a
     * seccomp trap, or a signal sent to the stub thread): {@code signo}, {@code code}, and the raw
     * {@code siginfo_t} bytes (128, {@code <asm-generic/siginfo.h>}).
     */
    record Signal(int signo, int code, byte[] siginfo) implements GuestEvent {
        @Override
        public boolean equals(Object o) {
            return o instanceof Signal s && s.signo == signo && s.code == code && Arrays.equals(s.siginfo, siginfo);
        }

        @Override
        public int hashCode() {
            return signo * 31 + code;
        }

        @Override
        public String toString() {
            return "Signal[signo=" + signo + ", code=" + code + "]";
        }
    }

    /** Another thread called {@link GuestContext#interrupt()} (gVisor's {@code platform.ErrContextInterrupt}). */
    record Interrupted() implements GuestEvent {
    }

    /**
     * The guest's stub thread is gone: {@code status} is its wait status ({@code <sys/wait.h>}), and
     * {@code description} says how (exit code, or the signal that killed it, e.g. a SIGKILL from outside).
     */
    record Exited(int status, String description) implements GuestEvent {
    }
}
