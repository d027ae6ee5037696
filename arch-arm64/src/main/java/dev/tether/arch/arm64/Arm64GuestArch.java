package dev.tether.arch.arm64;

import static dev.tether.arch.arm64.Arm64RegisterLayout.PC;
import static dev.tether.arch.arm64.Arm64RegisterLayout.PSTATE;
import static dev.tether.arch.arm64.Arm64RegisterLayout.SP;

import dev.tether.spi.GuestArch;
import dev.tether.spi.TetherArch;
import org.osgi.service.component.annotations.Component;

/**
 * arm64 facts for running guests (gVisor {@code pkg/sentry/platform/ptrace/ptrace_arm64.go},
 * {@code ptrace_arm64_unsafe.go}).
 */
@Component(service = GuestArch.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64GuestArch implements GuestArch {
    /** NT_PRFPREG (include/uapi/linux/elf.h): struct user_fpsimd_state, 528 bytes (arch/arm64/include/uapi/asm/ptrace.h). */
    public static final int NT_PRFPREG = 2;
    static final int FPSIMD_SIZE = 528;
    /** NT_ARM_TLS (include/uapi/linux/elf.h): TPIDR_EL0, 8 bytes. */
    public static final int NT_ARM_TLS = 0x401;
    /** PSTATE.SS, the software-step bit (Arm ARM, SPSR_EL1 bit 21): gVisor's isSingleStepping. */
    static final long PSTATE_SS = 1L << 21;
    /** SIGSYS and SIGSEGV (include/uapi/asm-generic/signal.h). */
    private static final int SIGSYS = 31;
    private static final int SIGSEGV = 11;

    public Arm64GuestArch() {
    }

    @Override
    public String arch() {
        return Arm64SyscallTable.ARCH;
    }

    @Override
    public int[] floatingPointRegsets() {
        return new int[] {NT_PRFPREG};
    }

    /** A fresh thread's FPSIMD state is all zero: V0..V31, FPSR and FPCR (fpsimd_flush_thread, arch/arm64/kernel/fpsimd.c). */
    @Override
    public byte[] initialFloatingPointState(int regset, int size) {
        return new byte[size];
    }

    @Override
    public int maxFloatingPointSize() {
        return FPSIMD_SIZE;
    }

    @Override
    public int tlsRegisterIndex() {
        return -1;
    }

    @Override
    public int tlsRegset() {
        return NT_ARM_TLS;
    }

    /** resetSysemuRegs (ptrace_arm64.go): nothing on arm64. */
    @Override
    public void resetSysemuRegisters(long[] regs, long[] init) {
    }

    /** updateSyscallRegs (ptrace_arm64.go): x8 holds the number already. */
    @Override
    public void afterSyscallStop(long[] regs) {
    }

    /** x7 holds the stop direction at a syscall stop (arch/arm64/kernel/ptrace.c, report_syscall). */
    @Override
    public boolean syscallStopClobbersRegisters() {
        return true;
    }

    @Override
    public boolean singleStepping(long[] regs) {
        return (regs[PSTATE] & PSTATE_SS) != 0;
    }

    @Override
    public void setSingleStepping(long[] regs, boolean on) {
        regs[PSTATE] = on ? regs[PSTATE] | PSTATE_SS : regs[PSTATE] & ~PSTATE_SS;
    }

    /** patchSignalInfo (ptrace_arm64.go): the same fix-up as amd64's, although arm64 has no vsyscall page. */
    @Override
    public int patchSignal(long[] regs, int signo, long callAddress) {
        if (signo != SIGSYS) {
            return signo;
        }
        regs[PC] = callAddress;
        regs[SP] -= 8;
        return SIGSEGV;
    }

    @Override
    public byte[] cpuidInstruction() {
        return new byte[0];
    }
}
