package dev.tether.arch.arm64;

import dev.tether.api.Registers;
import dev.tether.spi.ArchService;
import dev.tether.spi.RegisterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * aarch64 {@code struct user_pt_regs} (arch/arm64/include/uapi/asm/ptrace.h; gVisor
 * {@code linux.PtraceRegs}): {@code regs[31]} (x0..x30), sp, pc, pstate: 34 little-endian 64-bit
 * words, 272 bytes (spec §6.2), and the arm64 syscall convention: number in x8, arguments in
 * x0..x5, result in x0 (spec §4.1, §6.3, §6.4).
 */
@Component(property = ArchService.ARCH_PROPERTY + "=" + Arm64SyscallTable.ARCH)
public final class Arm64RegisterLayout implements RegisterLayout {
    // Word indices, in struct user_pt_regs order (byte offset = 8 x index); x<n> is word n.
    static final int X0 = 0;
    static final int X7 = 7;
    static final int X8 = 8;
    static final int X9 = 9;
    static final int X30 = 30;
    static final int SP = 31;
    static final int PC = 32;
    static final int PSTATE = 33;

    /** The kernel's field names, one per word: x0..x30, sp, pc, pstate. */
    static final List<String> NAMES;

    static {
        List<String> n = new ArrayList<>();
        for (int i = 0; i <= 30; i++) {
            n.add("x" + i);
        }
        n.add("sp");
        n.add("pc");
        n.add("pstate");
        NAMES = List.copyOf(n);
    }

    /** Syscall arguments 0..5 are x0..x5 (arm64 syscall ABI). */
    private static final int MAX_ARGS = 6;

    /** {@code svc #0} is one 4-byte instruction (spec §1.5: {@code Pc -= 4}). */
    static final int SYSCALL_INSN_LENGTH = 4;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64RegisterLayout() {
    }

    @Override
    public String arch() {
        return Arm64SyscallTable.ARCH;
    }

    @Override
    public List<String> names() {
        return NAMES;
    }

    @Override
    public int syscallNumberIndex() {
        return X8;
    }

    @Override
    public int argumentIndex(int i) {
        if (i < 0 || i >= MAX_ARGS) {
            throw new IllegalArgumentException("arm64: syscall argument " + i + " does not exist (0..5)");
        }
        return X0 + i;
    }

    @Override
    public int returnValueIndex() {
        return X0;
    }

    @Override
    public int instructionPointerIndex() {
        return PC;
    }

    @Override
    public int stackPointerIndex() {
        return SP;
    }

    @Override
    public int syscallInstructionLength() {
        return SYSCALL_INSN_LENGTH;
    }

    @Override
    public Registers createSyscallRegs(Registers init, long sysno, long... args) {
        check(init);
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException("arm64: a syscall takes at most 6 arguments, got " + args.length);
        }
        long[] w = init.words();
        w[X8] = sysno;
        for (int i = 0; i < args.length; i++) {
            w[X0 + i] = args[i];
        }
        return wrap(w);
    }

    @Override
    public long syscallReturnValue(Registers regs) {
        return check(regs).get(X0);
    }

    @Override
    public Registers initChildProcessPPID(Registers regs, long ppid) {
        long[] w = check(regs).words();
        w[X7] = ppid; // the stub compares getppid() with x7 (spec §4.1)
        w[X9] = 1;    // "re-run the bootstrap after clone" flag (spec §4.4)
        return wrap(w);
    }

    /**
     * Decodes the NT_PRSTATUS bytes at the buffer's position (little-endian, whatever the buffer's
     * order), advancing it by {@link #regsetSize()}.
     *
     * @throws IllegalArgumentException when fewer than 272 bytes remain
     */
    public Registers decode(ByteBuffer buf) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < regsetSize()) {
            throw new IllegalArgumentException("arm64 user_pt_regs needs " + regsetSize() + " bytes, "
                    + b.remaining() + " remain at position " + b.position());
        }
        long[] w = new long[NAMES.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getLong();
        }
        buf.position(b.position());
        return wrap(w);
    }

    /**
     * Encodes {@code regs} as NT_PRSTATUS bytes at the buffer's position (little-endian), advancing
     * it by {@link #regsetSize()}.
     *
     * @throws IllegalArgumentException when the registers are not arm64 ones or the buffer is too small
     */
    public void encode(Registers regs, ByteBuffer buf) {
        check(regs);
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < regsetSize()) {
            throw new IllegalArgumentException("arm64 user_pt_regs needs " + regsetSize() + " bytes, "
                    + b.remaining() + " remain at position " + b.position());
        }
        for (long v : regs.words()) {
            b.putLong(v);
        }
        buf.position(b.position());
    }

    private Registers check(Registers regs) {
        Objects.requireNonNull(regs, "regs");
        if (!arch().equals(regs.arch()) || !NAMES.equals(regs.names())) {
            throw new IllegalArgumentException("expected arm64 user_pt_regs registers (" + NAMES.size()
                    + " words), got " + regs.arch() + " registers with " + regs.size() + " words");
        }
        return regs;
    }
}
