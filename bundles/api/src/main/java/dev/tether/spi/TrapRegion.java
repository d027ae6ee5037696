package dev.tether.spi;

/**
 * The per-thread region of the trap guest platform, shared by the arch bundles' SIGSYS handlers and
 * the trap bundle (docs/trap.md, section 3): byte offsets of its words (little-endian u64; a futex
 * word is the low half of its u64), the states of {@link #STATE}, and the region's size.
 */
public final class TrapRegion {
    /** Size and alignment of a region: 64 KiB, so the handler finds it as {@code sp & ~(SIZE - 1)}. */
    public static final int SIZE = 0x10000;
    /** Where the alternate signal stack starts; it runs to the end of the region. */
    public static final int STACK = 0x1000;
    /** Where Java writes the set-up calls' structures (stack_t, sock_fprog) before the first signal. */
    public static final int SCRATCH = 0x80;

    /** The futex word: {@link #NONE}, {@link #EVENT} or {@link #RESUME}. */
    public static final int STATE = 0x00;
    public static final int JAVA_SLEEPING = 0x08;
    public static final int GUEST_SLEEPING = 0x10;
    /** How many polls (one pause each) the handler makes before it sleeps. */
    public static final int SPIN = 0x18;
    public static final int SIGNO = 0x20;
    public static final int SIGINFO = 0x28;
    public static final int UCONTEXT = 0x30;
    /** 1: the handler loads {@link #TLS} into the thread pointer before it returns, and clears this. */
    public static final int SET_TLS = 0x38;
    /**
     * The thread pointer to load when {@link #SET_TLS} is set; where it is no general register (arm64's
     * TPIDR_EL0), the handler also stores the guest's own value here on every entry.
     */
    public static final int TLS = 0x40;
    /** Handler entries, counted by the handler (diagnostics). */
    public static final int EVENTS = 0x48;

    /** {@link #STATE}: nothing published yet. */
    public static final int NONE = 0;
    /** {@link #STATE}: the handler published an event; Java's turn. */
    public static final int EVENT = 1;
    /** {@link #STATE}: Java answered; the handler returns into the guest. */
    public static final int RESUME = 2;

    private TrapRegion() {
    }
}
