package dev.tether.core;

import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.api.Registers;
import dev.tether.linux.ExecutableCode;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import java.util.function.Supplier;

/**
 * The stops of the injections on one traced stub thread, on its tracer: resume until the stub traps at
 * the breakpoint after the syscall instruction, discarding or recording what stops it on the way
 * (gVisor's {@code thread.syscall}, subprocess.go), call by call or in one {@link RoundTrip}. One per
 * {@link Tracee}, made with it, which calls it; it knows the thread's numbers, waits, fault watch and
 * register reader, not the Tracee (so an injection allocates nothing here either).
 */
final class Breakpoints {
    private final int tgid;
    private final int tid;
    private final StopWaiter waits;
    private final FaultWatch faults;
    /** The thread's registers, read on the tracer (kept at a fault stop). */
    private final Supplier<Registers> registers;
    private final int ipIndex;
    /** The platform's round trip code, or null: call by call ({@link RoundTrip#run}). */
    private final ExecutableCode roundTripCode;

    Breakpoints(int tgid, int tid, StopWaiter waits, FaultWatch faults, Supplier<Registers> registers, int ipIndex,
            ExecutableCode roundTripCode) {
        this.tgid = tgid;
        this.tid = tid;
        this.waits = waits;
        this.faults = faults;
        this.registers = registers;
        this.ipIndex = ipIndex;
        this.roundTripCode = roundTripCode;
    }

    /**
     * PTRACE_CONT until the stub traps at its breakpoint after the syscall (gVisor's thread.syscall). Signal
     * stops on the way are discarded by resuming with data 0, as gVisor does: SIGSTOP (left over
     * from an attach or a group-stop), SIGCHLD (an injected wait4's child stopped), and whatever
     * else the kernel throws in (this machine's kernel, for one, raises a one-off SIGILL for the
     * unassigned syscall 335, see KernelQuirks in the tests); the kernel restarts the syscall.
     * A real fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) cannot be discarded, though: the thread
     * would fault again at once, forever. So the registers at a fault stop are kept, and the same
     * fault at the same instruction {@value FaultWatch#REPEATS} times in a row is fatal: the stub is
     * SIGKILLed (as delivering the fault would kill it, every disposition being SIG_DFL there:
     * docs/architecture.md, section 10, item 2; but without a core dump) and the error carries those registers.
     */
    void run() {
        faults.reset();
        continueTo();
    }

    /** {@link #run} without forgetting the faults seen so far. */
    private void continueTo() {
        while (true) {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0); // data 0: any signal stop is discarded
            if (at(waits.waitAfterResume())) {
                return;
            }
        }
    }

    /**
     * Whether stop {@code sig} of {@link #run} is the breakpoint; a fault stop is
     * recorded (and SIGKILLs the thread when it repeats, see there).
     */
    private boolean at(int sig) {
        if (sig == Signals.SIGTRAP) {
            faults.reset(); // a discarded one-off fault is no news once the syscall is done
            return true;
        }
        if (FaultWatch.isFault(sig)) {
            Registers at;
            try {
                at = registers.get();
            } catch (LinuxException e) {
                at = null;
            }
            if (faults.record(sig, at, ipIndex)) {
                // Fatal. SIGKILL rather than delivering the fault: same end, no core dump.
                try {
                    Sys.tgkill(tgid, tid, Signals.SIGKILL);
                } catch (LinuxException e) {
                    // already gone: the wait below says how
                }
            }
        }
        return false;
    }

    /**
     * SETREGSET, PTRACE_CONT, the wait (poll, yield, then block, as {@link StopWaiter#waitAfterResume})
     * and the GETREGSET of {@code back} bytes as one {@link RoundTrip}; a stop other than the
     * breakpoint goes on as {@link #run} does, call by call. Not for a thread group leader, whose
     * wait must not block ({@link StopWaiter}).
     */
    void roundTrip(NativeMemory buf, int size, long back) {
        RoundTrip r = RoundTrip.begin(tid, Ptrace.PTRACE_CONT, StopWaiter.WAIT_OPTIONS, true, true)
                .set(Ptrace.NT_PRSTATUS, buf, size).get(Ptrace.NT_PRSTATUS, buf, back);
        faults.reset();
        int sig = waits.roundTrip(r, roundTripCode);
        if (at(sig & ~RoundTrip.STALE)) {
            if ((sig & RoundTrip.STALE) == 0) {
                return;
            }
        } else {
            continueTo();
        }
        Sys.getRegset(tid, Ptrace.NT_PRSTATUS, buf, back);
    }
}
