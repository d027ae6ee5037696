package dev.tether.core;

import static dev.tether.spi.RoundTripBlock.ENTRIES;
import static dev.tether.spi.RoundTripBlock.ENTRY_SIZE;

import dev.tether.abi.Wait;
import dev.tether.linux.ExecutableCode;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.RoundTripBlock;

/**
 * One ptrace round trip in one native call: the arch's machine code ({@code StubProgram.ptraceRoundTrip},
 * {@link RoundTripBlock}) does the SETREGSETs, the resume, the wait and the GETREGSETs that the
 * tracer would otherwise make as one JNA call each. Each JNA call costs far more than its system
 * call's share of a round trip here: ~140 ns more than the same getpid from C (a scratch loop on the
 * 2-vCPU VM, 300 vs 150 ns), and a guest round trip made four or five of them.
 *
 * <p>The block is filled here and only here, from {@link NativeMemory} buffers whose sizes are
 * checked against the lengths given: the machine code dereferences whatever addresses the block
 * holds, so nothing but this class writes one. One block per tracing thread (or per guest state:
 * {@link #owned}), reused: a round trip allocates nothing. Not thread-safe (used by one thread at a
 * time by construction).
 */
final class RoundTrip {
    /** Set + get entries per round trip: general, FP and TLS regsets, each way, fit. */
    static final int MAX_ENTRIES = 6;
    private static final ThreadLocal<RoundTrip> PER_THREAD = ThreadLocal.withInitial(RoundTrip::new);

    private final NativeMemory block = NativeMemory.allocate(ENTRIES + (long) MAX_ENTRIES * ENTRY_SIZE);
    private final long base = block.address();
    private int tid;
    private int request;
    private int waitOptions;
    private int entries;
    private int sets;
    private boolean poll;
    private boolean yield;
    /** The entries as given, for {@link #runByCalls}. */
    private final int[] types = new int[MAX_ENTRIES];
    private final NativeMemory[] buffers = new NativeMemory[MAX_ENTRIES];
    private final long[] lengths = new long[MAX_ENTRIES];
    /** The block's words as {@link #run} copies them in, in one bulk copy (not a checked store each). */
    private final long[] words = new long[ENTRIES / 8 + MAX_ENTRIES * ENTRY_SIZE / 8];

    /**
     * Set in what {@link StopWaiter#roundTrip} returns when the stop it reports is not the one
     * the round trip's gets read (a spurious stop came first): read the registers again.
     */
    static final int STALE = 1 << 16;

    private RoundTrip() {
    }

    /** The calling thread's block, emptied, for a round trip of {@code tid}. */
    static RoundTrip begin(int tid, int request, int waitOptions, boolean poll, boolean yield) {
        return PER_THREAD.get().start(tid, request, waitOptions, poll, yield);
    }

    /**
     * A block of its own for an owner that only one thread at a time uses (a guest state's
     * switches, {@link SwitchScratch}), so that its round trips need no thread-local lookup.
     */
    static RoundTrip owned() {
        return new RoundTrip();
    }

    /** This block, emptied, for a round trip of {@code tid}. */
    RoundTrip start(int tid, int request, int waitOptions, boolean poll, boolean yield) {
        RoundTrip r = this;
        r.tid = tid;
        r.request = request;
        r.waitOptions = waitOptions;
        r.entries = 0;
        r.sets = -1;
        r.poll = poll;
        r.yield = yield;
        long[] w = r.words;
        w[RoundTripBlock.TID / 8] = tid;
        w[RoundTripBlock.REQUEST / 8] = request;
        w[RoundTripBlock.WAIT_OPTIONS / 8] = waitOptions;
        w[RoundTripBlock.POLL_OPTIONS / 8] = poll ? waitOptions | Wait.WNOHANG : 0;
        w[RoundTripBlock.YIELD / 8] = yield ? 1 : 0;
        return r;
    }

    /** PTRACE_SETREGSET of {@code type} from the first {@code length} bytes of {@code buf}, before the resume. */
    RoundTrip set(int type, NativeMemory buf, long length) {
        if (sets >= 0) {
            throw new IllegalStateException("round trip: a set after a get");
        }
        return entry(type, buf, length);
    }

    /** PTRACE_GETREGSET of {@code type} into the first {@code length} bytes of {@code buf}, after the stop. */
    RoundTrip get(int type, NativeMemory buf, long length) {
        if (sets < 0) {
            sets = entries;
        }
        return entry(type, buf, length);
    }

    private RoundTrip entry(int type, NativeMemory buf, long length) {
        if (entries == MAX_ENTRIES) {
            throw new IllegalStateException("round trip: more than " + MAX_ENTRIES + " regset entries");
        }
        if (length <= 0 || length > buf.size()) {
            throw new IllegalArgumentException("round trip: regset length " + length + " outside its buffer of " + buf.size() + " bytes");
        }
        types[entries] = type;
        buffers[entries] = buf;
        lengths[entries] = length;
        int e = (ENTRIES + entries * ENTRY_SIZE) / 8;
        words[e] = type;
        words[e + 1] = buf.address(); // checked live by address(): never a freed buffer
        words[e + 2] = length;
        entries++;
        return this;
    }

    /**
     * Runs the round trip in {@code code} and returns the wait status; by {@link #runByCalls} when
     * there is no code (null) or it is closed (the platform is closing). A failed call throws the {@link LinuxException} the one-call-at-a-time
     * path would (the same call name and errno), except a failed GETREGSET after a status that is
     * not a stop (the tracee died: the status says so, and there are no registers to read).
     */
    int run(ExecutableCode code) {
        if (code == null) {
            return runByCalls();
        }
        int setCount = sets < 0 ? entries : sets;
        long[] w = words;
        w[RoundTripBlock.SETS_END / 8] = base + ENTRIES + (long) setCount * ENTRY_SIZE;
        w[RoundTripBlock.GETS_END / 8] = base + ENTRIES + (long) entries * ENTRY_SIZE;
        w[RoundTripBlock.STATUS / 8] = 0;
        w[RoundTripBlock.FAILED_AT / 8] = 0;
        w[RoundTripBlock.ERRNO / 8] = 0;
        block.putLongs(0, w, (ENTRIES + entries * ENTRY_SIZE) / 8);
        if (!code.call(block)) {
            return runByCalls(); // the platform is closing
        }
        int status = block.getInt(RoundTripBlock.STATUS);
        long failed = block.getLong(RoundTripBlock.FAILED_AT);
        if (failed == 0) {
            return status;
        }
        int errno = (int) -block.getLong(RoundTripBlock.ERRNO);
        if (failed == RoundTripBlock.FAILED_RESUME) {
            throw new LinuxException("ptrace(" + Sys.requestName(request) + ", " + tid + ")", errno);
        }
        if (failed == RoundTripBlock.FAILED_WAIT) {
            throw new LinuxException("wait4(" + tid + ", 0x" + Integer.toHexString(waitOptions) + ")", errno);
        }
        int index = (int) ((failed - base - ENTRIES) / ENTRY_SIZE);
        if (index < setCount) {
            throw new LinuxException("ptrace(PTRACE_SETREGSET, " + tid + ")", errno);
        }
        if (!Wait.stopped(status)) {
            return status;
        }
        throw new LinuxException("ptrace(PTRACE_GETREGSET, " + tid + ")", errno);
    }

    /** The length the kernel reported for entry {@code i} (a GETREGSET writes it back). */
    long length(int i) {
        return block.getLong(ENTRIES + (long) i * ENTRY_SIZE + 16);
    }


    /**
     * The same round trip as the machine code's, one JNA call per system call: the path without
     * the code, and what tests compare it with. The same calls in the same order, the same
     * exceptions.
     */
    int runByCalls() {
        int setCount = sets < 0 ? entries : sets;
        for (int i = 0; i < setCount; i++) {
            Sys.setRegset(tid, types[i], buffers[i], lengths[i]);
        }
        Sys.ptrace(request, tid, 0, 0);
        int status = -1;
        if (poll) {
            try {
                status = Sys.wait4(tid, waitOptions | Wait.WNOHANG);
            } catch (LinuxException e) {
                status = -1; // as the code: the blocking wait below reports it
            }
        }
        if (status == -1) {
            if (yield) {
                Sys.yield();
            }
            status = Sys.wait4(tid, waitOptions);
        }
        for (int i = setCount; i < entries; i++) {
            try {
                block.putLong(ENTRIES + (long) i * ENTRY_SIZE + 16, Sys.getRegset(tid, types[i], buffers[i], lengths[i]));
            } catch (LinuxException e) {
                if (!Wait.stopped(status)) {
                    return status;
                }
                throw e;
            }
        }
        return status;
    }
}
