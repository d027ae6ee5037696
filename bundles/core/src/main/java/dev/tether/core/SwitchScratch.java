package dev.tether.core;

import dev.tether.linux.NativeMemory;

/**
 * The native scratch of one guest state's switches: the general registers' regset buffer, the
 * TLS word, the siginfo, and the round trip block ({@link RoundTrip}). Per guest state rather than
 * per tracing thread: only one thread at a time switches a state (the context's switched-in
 * check), and a thread-local lookup for each of them cost every switch a few cache lines that
 * the process switch before it had cooled. The FP state has its own, per state ({@link GuestState#fp}).
 */
final class SwitchScratch {
    /** sizeof(siginfo_t) (include/uapi/asm-generic/siginfo.h, SI_MAX_SIZE). */
    static final int SIGINFO_SIZE = 128;

    final NativeMemory regs;
    final NativeMemory tls = NativeMemory.allocate(8);
    final NativeMemory siginfo = NativeMemory.allocate(SIGINFO_SIZE);
    final RoundTrip roundTrip = RoundTrip.owned();

    SwitchScratch(int regsSize) {
        regs = NativeMemory.allocate(regsSize);
    }
}
