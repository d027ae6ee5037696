package dev.tether.arch.amd64;

import static dev.tether.arch.amd64.Amd64RegisterLayout.CS;
import static dev.tether.arch.amd64.Amd64RegisterLayout.DS;
import static dev.tether.arch.amd64.Amd64RegisterLayout.EFLAGS;
import static dev.tether.arch.amd64.Amd64RegisterLayout.ES;
import static dev.tether.arch.amd64.Amd64RegisterLayout.FS;
import static dev.tether.arch.amd64.Amd64RegisterLayout.FS_BASE;
import static dev.tether.arch.amd64.Amd64RegisterLayout.GS;
import static dev.tether.arch.amd64.Amd64RegisterLayout.ORIG_RAX;
import static dev.tether.arch.amd64.Amd64RegisterLayout.RAX;
import static dev.tether.arch.amd64.Amd64RegisterLayout.RIP;
import static dev.tether.arch.amd64.Amd64RegisterLayout.RSP;
import static dev.tether.arch.amd64.Amd64RegisterLayout.SS;

import dev.tether.spi.GuestArch;
import dev.tether.spi.TetherArch;
import org.osgi.service.component.annotations.Component;

/**
 * x86-64 facts for running guests (gVisor {@code pkg/sentry/platform/ptrace/ptrace_amd64.go} and
 * {@code ptrace_unsafe.go}).
 */
@Component(service = GuestArch.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64GuestArch implements GuestArch {
    /** NT_X86_XSTATE (include/uapi/linux/elf.h): the XSAVE area, on CPUs with XSAVE. */
    public static final int NT_X86_XSTATE = 0x202;
    /** NT_PRFPREG (include/uapi/linux/elf.h): the 512-byte FXSAVE area (struct user_i387_struct). */
    public static final int NT_PRFPREG = 2;
    /**
     * The XSAVE area's upper bound: CPUID leaf 0xD reports at most a few KiB today (AMX tiles make it
     * ~11 KiB); the kernel answers PTRACE_GETREGSET with the real size (it shortens iov_len).
     */
    static final int MAX_XSTATE = 64 * 1024;
    /** The XSAVE header's offset in the XSAVE area, XSTATE_BV its first 8 bytes (Intel SDM vol. 1, 13.4.2). */
    static final int XSAVE_HEADER = 512;
    /** XSTATE_BV bits of the x87 and SSE state components (Intel SDM vol. 1, 13.1: components 0 and 1). */
    static final byte XFEATURE_FP = 1;
    static final byte XFEATURE_SSE = 2;
    /** EFLAGS.TF, the trap flag (Intel SDM vol. 1, 3.4.3.3): gVisor's isSingleStepping. */
    static final long EFLAGS_TF = 0x100;
    /** {@code cpuid} is {@code 0F A2} (Intel SDM vol. 2A, CPUID). */
    private static final byte[] CPUID = {0x0f, (byte) 0xa2};

    public Amd64GuestArch() {
    }

    @Override
    public String arch() {
        return Amd64SyscallTable.ARCH;
    }

    @Override
    public int[] floatingPointRegsets() {
        return new int[] {NT_X86_XSTATE, NT_PRFPREG};
    }

    /**
     * The FXSAVE image of a fresh thread (Intel SDM vol. 1, 10.5.1, FXSAVE area: FCW at byte 0, MXCSR
     * at byte 24; the kernel's fpstate_init_fxstate in arch/x86/kernel/fpu/core.c sets FCW 0x37f and
     * MXCSR 0x1f80). For XSTATE the XSAVE header's XSTATE_BV says the image holds x87 and SSE: the
     * kernel's PTRACE_SETREGSET (copy_uabi_to_xstate, arch/x86/kernel/fpu/xstate.c) takes the legacy
     * registers only for components set there, so with 0 a change Java makes to XMM0 in this image
     * would be dropped. Every other component (AVX, ...) stays initial (SDM vol. 1, 13.6).
     */
    @Override
    public byte[] initialFloatingPointState(int regset, int size) {
        return freshFpState(size);
    }

    /** {@link #initialFloatingPointState}'s image, for any of the two regsets (the FXSAVE layout is XSAVE's legacy region). */
    static byte[] freshFpState(int size) {
        byte[] b = new byte[size];
        if (size >= 32) {
            b[0] = 0x7f; // FCW 0x037f, little-endian
            b[1] = 0x03;
            b[24] = (byte) 0x80; // MXCSR 0x00001f80
            b[25] = 0x1f;
        }
        if (size > XSAVE_HEADER) {
            b[XSAVE_HEADER] = XFEATURE_FP | XFEATURE_SSE;
        }
        return b;
    }

    @Override
    public int maxFloatingPointSize() {
        return MAX_XSTATE;
    }

    @Override
    public int tlsRegisterIndex() {
        return FS_BASE;
    }

    @Override
    public int tlsRegset() {
        return 0;
    }

    /** resetSysemuRegs (ptrace_amd64.go): the guest runs with the stub's segment selectors. */
    @Override
    public void resetSysemuRegisters(long[] regs, long[] init) {
        for (int i : SELECTORS) {
            regs[i] = init[i];
        }
    }

    /** The segment selectors resetSysemuRegs copies (struct user_regs_struct word indices). */
    private static final int[] SELECTORS = {CS, SS, DS, ES, FS, GS};

    /** updateSyscallRegs (ptrace_amd64.go): the kernel put -ENOSYS in rax at the syscall-entry stop. */
    @Override
    public void afterSyscallStop(long[] regs) {
        regs[RAX] = regs[ORIG_RAX];
    }

    @Override
    public boolean syscallStopClobbersRegisters() {
        return false;
    }

    @Override
    public boolean singleStepping(long[] regs) {
        return (regs[EFLAGS] & EFLAGS_TF) != 0;
    }

    @Override
    public void setSingleStepping(long[] regs, boolean on) {
        regs[EFLAGS] = on ? regs[EFLAGS] | EFLAGS_TF : regs[EFLAGS] & ~EFLAGS_TF;
    }

    /**
     * patchSignalInfo (ptrace_amd64.go): a SIGSYS from the vsyscall page's emulation arrives after the
     * emulated call "returned" (rip = the return address, the return address popped); restore the
     * state of a fault at the vsyscall address: rip = si_call_addr, rsp -= 8, SIGSEGV.
     */
    @Override
    public int patchSignal(long[] regs, int signo, long callAddress) {
        if (signo != SIGSYS) {
            return signo;
        }
        regs[RIP] = callAddress;
        regs[RSP] -= 8;
        return SIGSEGV;
    }

    /** SIGSYS and SIGSEGV (arch/x86/include/uapi/asm/signal.h). */
    private static final int SIGSYS = 31;
    private static final int SIGSEGV = 11;

    @Override
    public byte[] cpuidInstruction() {
        return CPUID.clone();
    }
}
