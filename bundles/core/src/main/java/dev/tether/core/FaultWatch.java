package dev.tether.core;

import dev.tether.abi.Signals;
import dev.tether.api.Registers;

/**
 * The unexpected fault stops of one injection (SIGSEGV, SIGBUS, SIGILL, SIGFPE), for
 * {@link Tracee}: a one-off fault is discarded (the kernel restarts the syscall), but the same
 * fault at the same instruction {@value #REPEATS} times in a row would repeat for ever, so it is
 * fatal; the registers of the last fault go into the death's message. Confined to the tracer.
 */
final class FaultWatch {
    /** How often the same fault at the same instruction is seen before it is fatal. */
    static final int REPEATS = 3;

    private Registers regs;
    private int signal;
    private int repeats;
    private boolean fatal;

    static boolean isFault(int sig) {
        return sig == Signals.SIGSEGV || sig == Signals.SIGBUS || sig == Signals.SIGILL || sig == Signals.SIGFPE;
    }

    /** A new injection starts: nothing seen yet. */
    void reset() {
        regs = null;
        signal = 0;
        repeats = 0;
        fatal = false;
    }

    /**
     * A fault stop with these registers (null if unreadable); returns true when it is the
     * {@value #REPEATS}th in a row at one instruction, i.e. fatal.
     */
    boolean record(int sig, Registers at, int ipIndex) {
        boolean again = sig == signal && at != null && regs != null && at.get(ipIndex) == regs.get(ipIndex);
        repeats = again ? repeats + 1 : 1;
        regs = at;
        signal = sig;
        fatal = repeats >= REPEATS;
        return fatal;
    }

    /** What a death's message adds about the faults seen, or "" when there were none. */
    String describe() {
        if (regs == null && signal == 0) {
            return "";
        }
        return " after an unexpected " + Signals.name(signal) + " stop"
                + (fatal ? " (the same fault " + REPEATS + " times at one instruction: Tether killed it)" : "")
                + (regs == null ? "" : "; registers at that stop:\n" + regs);
    }
}
