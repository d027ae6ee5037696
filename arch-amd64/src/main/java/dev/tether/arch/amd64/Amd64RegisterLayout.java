package dev.tether.arch.amd64;

import dev.tether.api.Registers;
import dev.tether.spi.ArchService;
import dev.tether.spi.RegisterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * x86-64 {@code struct user_regs_struct} (arch/x86/include/asm/user_64.h; gVisor
 * {@code linux.PtraceRegs}): 27 little-endian 64-bit words, 216 bytes (spec §6.2), and the x86-64
 * syscall convention: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax
 * (spec §4.1, §6.3, §6.4).
 */
@Component(property = ArchService.ARCH_PROPERTY + "=" + Amd64SyscallTable.ARCH)
public final class Amd64RegisterLayout implements RegisterLayout {
    // Word indices, in struct user_regs_struct order (byte offset = 8 x index).
    static final int R15 = 0;
    static final int R14 = 1;
    static final int R13 = 2;
    static final int R12 = 3;
    static final int RBP = 4;
    static final int RBX = 5;
    static final int R11 = 6;
    static final int R10 = 7;
    static final int R9 = 8;
    static final int R8 = 9;
    static final int RAX = 10;
    static final int RCX = 11;
    static final int RDX = 12;
    static final int RSI = 13;
    static final int RDI = 14;
    static final int ORIG_RAX = 15;
    static final int RIP = 16;
    static final int CS = 17;
    static final int EFLAGS = 18;
    static final int RSP = 19;
    static final int SS = 20;
    static final int FS_BASE = 21;
    static final int GS_BASE = 22;
    static final int DS = 23;
    static final int ES = 24;
    static final int FS = 25;
    static final int GS = 26;

    /** The kernel's field names, one per word. */
    static final List<String> NAMES = List.of(
            "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
            "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
            "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs");

    /** Syscall argument registers 0..5 (x86-64 syscall ABI; the 4th is r10, not rcx). */
    private static final int[] ARGS = {RDI, RSI, RDX, R10, R8, R9};

    /** {@code syscall} is {@code 0F 05} (spec §1.5: {@code Rip -= 2}). */
    static final int SYSCALL_INSN_LENGTH = 2;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64RegisterLayout() {
    }

    @Override
    public String arch() {
        return Amd64SyscallTable.ARCH;
    }

    @Override
    public List<String> names() {
        return NAMES;
    }

    @Override
    public int syscallNumberIndex() {
        return RAX;
    }

    @Override
    public int argumentIndex(int i) {
        if (i < 0 || i >= ARGS.length) {
            throw new IllegalArgumentException("amd64: syscall argument " + i + " does not exist (0..5)");
        }
        return ARGS[i];
    }

    @Override
    public int returnValueIndex() {
        return RAX;
    }

    @Override
    public int instructionPointerIndex() {
        return RIP;
    }

    @Override
    public int stackPointerIndex() {
        return RSP;
    }

    @Override
    public int syscallInstructionLength() {
        return SYSCALL_INSN_LENGTH;
    }

    @Override
    public Registers createSyscallRegs(Registers init, long sysno, long... args) {
        check(init);
        if (args.length > ARGS.length) {
            throw new IllegalArgumentException("amd64: a syscall takes at most 6 arguments, got " + args.length);
        }
        long[] w = init.words();
        w[RAX] = sysno;
        for (int i = 0; i < args.length; i++) {
            w[ARGS[i]] = args[i];
        }
        return wrap(w);
    }

    @Override
    public long syscallReturnValue(Registers regs) {
        return check(regs).get(RAX);
    }

    @Override
    public Registers initChildProcessPPID(Registers regs, long ppid) {
        long[] w = check(regs).words();
        w[R15] = ppid; // the stub compares getppid() with r15 (spec §4.1)
        w[RBX] = 1;    // "re-run the bootstrap after clone" flag (spec §4.4)
        return wrap(w);
    }

    /**
     * Decodes the NT_PRSTATUS bytes at the buffer's position (little-endian, whatever the buffer's
     * order), advancing it by {@link #regsetSize()}.
     *
     * @throws IllegalArgumentException when fewer than 216 bytes remain
     */
    public Registers decode(ByteBuffer buf) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < regsetSize()) {
            throw new IllegalArgumentException("amd64 user_regs_struct needs " + regsetSize() + " bytes, "
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
     * @throws IllegalArgumentException when the registers are not amd64 ones or the buffer is too small
     */
    public void encode(Registers regs, ByteBuffer buf) {
        check(regs);
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < regsetSize()) {
            throw new IllegalArgumentException("amd64 user_regs_struct needs " + regsetSize() + " bytes, "
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
            throw new IllegalArgumentException("expected amd64 user_regs_struct registers (" + NAMES.size()
                    + " words), got " + regs.arch() + " registers with " + regs.size() + " words");
        }
        return regs;
    }
}
