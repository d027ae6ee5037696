package dev.tether.abi;

/** ptrace requests, options and events: include/uapi/linux/ptrace.h (arch-neutral part). */
public final class Ptrace {
    public static final int PTRACE_CONT = 7;
    public static final int PTRACE_KILL = 8;
    public static final int PTRACE_ATTACH = 16;
    public static final int PTRACE_DETACH = 17;
    public static final int PTRACE_SYSCALL = 24;
    /** PTRACE_SYSEMU: 31 on x86-64 (arch/x86/include/uapi/asm/ptrace-abi.h) and arm64 (arch/arm64/include/uapi/asm/ptrace.h). */
    public static final int PTRACE_SYSEMU = 31;
    /** PTRACE_SYSEMU_SINGLESTEP: 32 on x86-64 and arm64 (the same headers as PTRACE_SYSEMU). */
    public static final int PTRACE_SYSEMU_SINGLESTEP = 32;
    public static final int PTRACE_SETOPTIONS = 0x4200;
    public static final int PTRACE_GETEVENTMSG = 0x4201;
    public static final int PTRACE_GETSIGINFO = 0x4202;
    public static final int PTRACE_GETREGSET = 0x4204;
    public static final int PTRACE_SETREGSET = 0x4205;
    public static final int PTRACE_SEIZE = 0x4206;
    public static final int PTRACE_INTERRUPT = 0x4207;

    public static final int PTRACE_O_TRACESYSGOOD = 0x1;
    public static final int PTRACE_O_TRACEEXIT = 0x40;
    public static final int PTRACE_O_EXITKILL = 0x100000;

    public static final int PTRACE_EVENT_EXIT = 6;

    /** include/uapi/linux/elf.h: the general-purpose register set. */
    public static final int NT_PRSTATUS = 1;
    /** NT_PRFPREG: the FP registers' regset (include/uapi/linux/elf.h). */
    public static final int NT_PRFPREG = 2;

    private Ptrace() {
    }
}
