package dev.tether.arch.amd64;

import static dev.tether.arch.amd64.X86Assembler.Reg.RAX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RCX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDI;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RSI;
import static dev.tether.arch.amd64.X86Assembler.Reg.RSP;
import static dev.tether.arch.amd64.X86Assembler.Reg.R10;
import static dev.tether.arch.amd64.X86Assembler.Reg.R12;
import static dev.tether.arch.amd64.X86Assembler.Reg.R8;
import static dev.tether.arch.amd64.X86Assembler.Reg.R9;

import dev.tether.arch.amd64.X86Assembler.Cond;
import dev.tether.spi.TrapRegion;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;

/**
 * The trap platform's SIGSYS/fault handler for x86-64 (docs/trap.md, section 9; the job of gVisor's
 * {@code sysmsg/sighandler_amd64.c} {@code __export_sighandler}, reduced: the registers stay in the
 * signal frame, which Java reads in place on the shared alternate stack). Entered as
 * {@code handler(signo, siginfo, ucontext)} in rdi, rsi, rdx (SysV ABI, sigaction(2) SA_SIGINFO);
 * every register may be clobbered, since the frame holds the guest's and rt_sigreturn reloads them.
 */
final class Amd64TrapHandler {
    /** Label of the restorer (sa_restorer), the handler's return address. */
    static final String RESTORER = "restorer";
    /** futex(2) operations, include/uapi/linux/futex.h (shared futexes: the region is MAP_SHARED). */
    static final int FUTEX_WAIT = 0;
    static final int FUTEX_WAKE = 1;
    /** ARCH_SET_FS, arch/x86/include/uapi/asm/prctl.h. */
    static final int ARCH_SET_FS = 0x1002;

    private Amd64TrapHandler() {
    }

    static Program assemble() {
        X86Assembler a = new X86Assembler();
        Label spin = a.label("spin");
        Label poll = a.label("poll");
        Label sleep = a.label("sleep");
        Label woke = a.label("woke");
        Label resume = a.label("resume");
        Label done = a.label("done");
        Label restorer = a.label(RESTORER);

        // r12 = the region: the frame is on the alternate stack, inside the SIZE-aligned region
        a.movRegReg(R12, RSP).andImm(R12, -TrapRegion.SIZE);
        a.movStore(R12, TrapRegion.SIGNO, RDI).movStore(R12, TrapRegion.SIGINFO, RSI).movStore(R12, TrapRegion.UCONTEXT, RDX);
        a.movLoad(RAX, R12, TrapRegion.EVENTS).addImm(RAX, 1).movStore(R12, TrapRegion.EVENTS, RAX);
        // publish: STATE = EVENT (xchg: a full barrier before JAVA_SLEEPING is read)
        a.movImm(RAX, TrapRegion.EVENT).xchgStore(R12, TrapRegion.STATE, RAX);
        a.movLoad(RAX, R12, TrapRegion.JAVA_SLEEPING).testRegReg(RAX, RAX).jcc(Cond.E, spin);
        futex(a, FUTEX_WAKE, 1); // futex(&STATE, FUTEX_WAKE, 1, 0, 0, 0)
        a.bind(spin);
        a.movLoad(RCX, R12, TrapRegion.SPIN);
        a.bind(poll);
        a.movLoad(RAX, R12, TrapRegion.STATE).cmpImm(RAX, TrapRegion.RESUME).jcc(Cond.E, resume);
        a.testRegReg(RCX, RCX).jcc(Cond.E, sleep);
        a.pause().subImm(RCX, 1).jmp(poll);
        a.bind(sleep);
        // GUEST_SLEEPING = 1 (xchg: a full barrier before STATE is read again)
        a.movImm(RAX, 1).xchgStore(R12, TrapRegion.GUEST_SLEEPING, RAX);
        a.movLoad(RAX, R12, TrapRegion.STATE).cmpImm(RAX, TrapRegion.RESUME).jcc(Cond.E, woke);
        futex(a, FUTEX_WAIT, TrapRegion.EVENT); // futex(&STATE, FUTEX_WAIT, EVENT, NULL, 0, 0)
        a.bind(woke);
        a.movStoreImm(R12, TrapRegion.GUEST_SLEEPING, 0).movImm(RCX, 0).jmp(poll);
        a.bind(resume);
        a.movLoad(RAX, R12, TrapRegion.SET_TLS).testRegReg(RAX, RAX).jcc(Cond.E, done);
        a.movImm(RDI, ARCH_SET_FS).movLoad(RSI, R12, TrapRegion.TLS).movImm(RAX, Amd64Sysno.SYS_ARCH_PRCTL).syscall();
        a.movStoreImm(R12, TrapRegion.SET_TLS, 0);
        a.bind(done).ret(); // to sa_restorer, which the kernel pushed as the return address
        a.bind(restorer);
        a.movImm(RAX, Amd64Sysno.SYS_RT_SIGRETURN).syscall();
        a.hlt(); // not reached: rt_sigreturn does not return
        return a.assemble();
    }

    /** futex(&region[STATE], op, val, 0, 0, 0): the argument constraints of the guest thread's filter. */
    private static void futex(X86Assembler a, int op, int val) {
        a.movRegReg(RDI, R12).movImm(RSI, op).movImm(RDX, val).movImm(R10, 0).movImm(R8, 0).movImm(R9, 0);
        a.movImm(RAX, Amd64Sysno.SYS_FUTEX).syscall();
    }
}
