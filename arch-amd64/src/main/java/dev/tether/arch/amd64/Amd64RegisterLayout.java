package dev.tether.arch.amd64;

import dev.tether.spi.RegisterLayout;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.WordRegisterLayout;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * x86-64 {@code struct user_regs_struct} (arch/x86/include/asm/user_64.h; gVisor
 * {@code linux.PtraceRegs}): 27 little-endian 64-bit words, 216 bytes, and the x86-64
 * syscall convention: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax
 * (syscall(2); gVisor's createSyscallRegs and syscallReturnValue in
 * pkg/sentry/platform/ptrace/subprocess_amd64.go).
 */
@Component(service = RegisterLayout.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64RegisterLayout extends WordRegisterLayout {
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

    /** {@code syscall} is {@code 0F 05} (gVisor's grabInitRegs, subprocess.go: {@code Rip -= 2}). */
    static final int SYSCALL_INSN_LENGTH = 2;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64RegisterLayout() {
        super(Amd64SyscallTable.ARCH, "user_regs_struct", NAMES,
                RAX, ARGS, RAX,      // syscall number, arguments, return value (createSyscallRegs, syscallReturnValue: subprocess_amd64.go)
                RIP, RSP,            // instruction and stack pointer
                SYSCALL_INSN_LENGTH,
                R15, RBX);           // stub ppid, stub clone flag (stub_amd64.s; initChildProcessPPID: subprocess_amd64.go)
    }
}
