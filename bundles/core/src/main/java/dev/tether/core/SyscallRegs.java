package dev.tether.core;

import dev.tether.api.Registers;
import dev.tether.linux.ExecutableCode;
import dev.tether.spi.RegisterLayout;
import java.util.Objects;

/**
 * gVisor's {@code createSyscallRegs}, {@code syscallReturnValue} and {@code initChildProcessPPID}
 * ({@code pkg/sentry/platform/ptrace/subprocess_amd64.go} and {@code subprocess_arm64.go}), done
 * once for every arch over the word indices of a {@link RegisterLayout}: the arch bundle states
 * where the values go, core puts them there. Works on raw NT_PRSTATUS words, so that the hot
 * injection path ({@link Tracee#inject}) builds its registers in a reused array without
 * allocating; {@link #create} is the same on {@link Registers}, for the cold paths.
 *
 * <p>Immutable and thread-safe.
 */
final class SyscallRegs {
    /** A syscall has at most six arguments on every Linux arch (syscall(2), "Architecture calling conventions"). */
    static final int MAX_ARGS = 6;

    final RegisterLayout layout;
    private final int words;
    private final int number;
    private final int[] args = new int[MAX_ARGS];
    private final int returnValue;
    private final int ppid;
    private final int cloneFlag;

    /**
     * The arch's ptrace round trip mapped in the JVM ({@link RoundTrip}), or null: the hot paths
     * then make one native call per system call. Owned by the platform's {@link StubImage}.
     */
    final ExecutableCode roundTrip;

    SyscallRegs(RegisterLayout layout) {
        this(layout, null);
    }

    SyscallRegs(RegisterLayout layout, ExecutableCode roundTrip) {
        this.roundTrip = roundTrip;
        this.layout = Objects.requireNonNull(layout, "layout");
        this.words = layout.names().size();
        this.number = layout.syscallNumberIndex();
        for (int i = 0; i < MAX_ARGS; i++) {
            args[i] = layout.argumentIndex(i);
        }
        this.returnValue = layout.returnValueIndex();
        this.ppid = layout.stubPpidIndex();
        this.cloneFlag = layout.stubCloneFlagIndex();
        if (layout.regsetSize() != 8 * words) {
            throw new IllegalArgumentException(layout.arch() + " register layout: regset size " + layout.regsetSize()
                    + " bytes is not 8 x " + words + " words");
        }
    }

    /** Number of 64-bit words in the register set. */
    int words() {
        return words;
    }

    /** Size in bytes of the NT_PRSTATUS register set. */
    int regsetSize() {
        return layout.regsetSize();
    }

    /**
     * createSyscallRegs into {@code out}: the words of {@code init} with the syscall number and
     * {@code a} (at most six, checked by the caller) set. Arguments not given are zero, not what
     * the initial registers held there (the stub's own {@code kill(pid, SIGSTOP)} leaves SIGSTOP
     * in argument 1): an injected {@code kill(pid)} must not become {@code kill(pid, SIGSTOP)}.
     */
    void fill(long[] init, long[] out, long sysno, long[] a) {
        System.arraycopy(init, 0, out, 0, words);
        out[number] = sysno;
        for (int i = 0; i < MAX_ARGS; i++) {
            out[args[i]] = i < a.length ? a[i] : 0;
        }
    }

    /**
     * initChildProcessPPID on words already set up for an injected clone: the child re-runs the
     * stub's bootstrap, which checks that its parent is {@code parent}.
     */
    void initChildProcessPPID(long[] w, long parent) {
        w[ppid] = parent;
        w[cloneFlag] = 1;
    }

    /** syscallReturnValue: the raw return value, -errno on failure. */
    long returnValue(long[] w) {
        return w[returnValue];
    }

    /** Byte offset of the return value's word in the NT_PRSTATUS buffer (words are 8 bytes). */
    long returnValueOffset() {
        return 8L * returnValue;
    }

    /** syscallReturnValue of a register set of this layout. */
    long returnValue(Registers r) {
        return check(r).get(returnValue);
    }

    /** {@link #fill} on {@link Registers}: a new set, {@code init} unchanged. */
    Registers create(Registers init, long sysno, long... a) {
        checkArgs(a);
        long[] w = new long[words];
        fill(check(init).words(), w, sysno, a);
        return layout.wrap(w);
    }

    /**
     * @throws IllegalArgumentException when a syscall would get more than six arguments
     */
    static void checkArgs(long[] a) {
        if (a.length > MAX_ARGS) {
            throw new IllegalArgumentException("a syscall takes at most " + MAX_ARGS + " arguments, got " + a.length);
        }
    }

    private Registers check(Registers r) {
        Objects.requireNonNull(r, "registers");
        if (!layout.arch().equals(r.arch()) || !layout.names().equals(r.names())) {
            throw new IllegalArgumentException("expected " + layout.arch() + " registers (" + words + " words), got "
                    + r.arch() + " registers with " + r.size() + " words");
        }
        return r;
    }
}
