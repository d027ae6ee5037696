package dev.tether.spi;

/**
 * The argument block of an arch's <em>ptrace round trip</em> ({@link StubProgram#ptraceRoundTrip()}):
 * one C-ABI function, {@code int roundTrip(uint64_t *block, const void *unused)}, that does in one
 * native call what a tracer does between two stops of a tracee, with raw system calls:
 * <ol>
 * <li>for each <em>set</em> entry, {@code ptrace(PTRACE_SETREGSET, tid, type, &iov)};</li>
 * <li>{@code ptrace(request, tid, 0, 0)} (PTRACE_SYSEMU, PTRACE_CONT, ...);</li>
 * <li>if {@link #POLL_OPTIONS} is not 0, {@code wait4(tid, &status, POLL_OPTIONS, NULL)} once (it
 * should hold WNOHANG); if that reported the tracee, on to step 5;</li>
 * <li>if {@link #YIELD} is not 0, {@code sched_yield()}; then {@code wait4(tid, &status,
 * WAIT_OPTIONS, NULL)}, again while it fails with EINTR;</li>
 * <li>for each <em>get</em> entry, {@code ptrace(PTRACE_GETREGSET, tid, type, &iov)} (the kernel
 * writes the length it filled back into the entry's iov_len).</li>
 * </ol>
 * It stops at the first call that fails, stores that call's negative errno in {@link #ERRNO} and
 * which call it was in {@link #FAILED_AT}, and returns 0 in every case (the second argument is
 * ignored: core calls it through libc's {@code bsearch}, which passes the key and the one element,
 * both the block). The machine code knows nothing else: which tracee, which regsets and which
 * buffers is the caller's business, and the caller (core) only ever fills the block with the
 * addresses of its own buffers, checked against their sizes.
 *
 * <p>The block is an array of 64-bit words at the byte offsets below, the same on every arch.
 * Syscall numbers and PTRACE_SETREGSET (0x4205) / PTRACE_GETREGSET (0x4204) (include/uapi/linux/ptrace.h)
 * are the arch's to encode.
 */
public final class RoundTripBlock {
    /** The tracee's thread id. */
    public static final int TID = 0;
    /** The resume request (ptrace's first argument). */
    public static final int REQUEST = 8;
    /** The options of the blocking wait4 (e.g. __WALL | WUNTRACED). */
    public static final int WAIT_OPTIONS = 16;
    /** The options of a first, polling wait4 (with WNOHANG), or 0 for none. */
    public static final int POLL_OPTIONS = 24;
    /** Non-zero: sched_yield before the blocking wait4. */
    public static final int YIELD = 32;
    /** The address just past the last set entry (= {@link #ENTRIES} + 24 x sets, absolute). */
    public static final int SETS_END = 40;
    /** The address just past the last get entry (the get entries follow the set entries). */
    public static final int GETS_END = 48;
    /** Out: wait4's status (a 32-bit int in the low half of the word, in native byte order). */
    public static final int STATUS = 56;
    /**
     * Out: 0 if every call succeeded; else {@link #FAILED_RESUME}, {@link #FAILED_WAIT}, or the
     * address of the set or get entry whose ptrace call failed.
     */
    public static final int FAILED_AT = 64;
    /** Out: the failed call's result, a negative errno. */
    public static final int ERRNO = 72;
    /**
     * The entries, 24 bytes each: the regset type (NT_PRSTATUS, ...), then a {@code struct iovec}
     * (base address, length), whose address is what the ptrace call gets.
     */
    public static final int ENTRIES = 80;
    /** Size of one entry. */
    public static final int ENTRY_SIZE = 24;
    /** {@link #FAILED_AT} when the resume request failed. */
    public static final long FAILED_RESUME = 1;
    /** {@link #FAILED_AT} when the blocking wait4 failed. */
    public static final long FAILED_WAIT = 2;

    private RoundTripBlock() {
    }
}
