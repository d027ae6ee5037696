package dev.tether.arch.arm64;

import dev.tether.spi.RegisterLayout;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.WordRegisterLayout;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * aarch64 {@code struct user_pt_regs} (arch/arm64/include/uapi/asm/ptrace.h; gVisor
 * {@code linux.PtraceRegs}): {@code regs[31]} (x0..x30), sp, pc, pstate: 34 little-endian 64-bit
 * words, 272 bytes, and the arm64 syscall convention: number in x8, arguments in
 * x0..x5, result in x0 (syscall(2); gVisor's createSyscallRegs and syscallReturnValue in
 * pkg/sentry/platform/ptrace/subprocess_arm64.go).
 */
@Component(service = RegisterLayout.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64RegisterLayout extends WordRegisterLayout {
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

    /** Syscall arguments 0..5 are x0..x5 (arm64 syscall ABI), words 0..5. */
    private static final int[] ARGS = {0, 1, 2, 3, 4, 5};

    /** {@code svc #0} is one 4-byte instruction (gVisor's grabInitRegs, subprocess.go: {@code Pc -= 4}). */
    static final int SYSCALL_INSN_LENGTH = 4;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64RegisterLayout() {
        super(Arm64SyscallTable.ARCH, "user_pt_regs", NAMES,
                X8, ARGS, X0,        // syscall number, arguments, return value (createSyscallRegs, syscallReturnValue: subprocess_arm64.go)
                PC, SP,              // instruction and stack pointer
                SYSCALL_INSN_LENGTH,
                X7, X9);             // stub ppid, stub clone flag (stub_arm64.s; initChildProcessPPID: subprocess_arm64.go)
    }
}
