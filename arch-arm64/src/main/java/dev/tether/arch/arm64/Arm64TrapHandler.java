package dev.tether.arch.arm64;

import static dev.tether.arch.arm64.A64Assembler.Reg.SP;
import static dev.tether.arch.arm64.A64Assembler.Reg.X0;
import static dev.tether.arch.arm64.A64Assembler.Reg.X1;
import static dev.tether.arch.arm64.A64Assembler.Reg.X10;
import static dev.tether.arch.arm64.A64Assembler.Reg.X11;
import static dev.tether.arch.arm64.A64Assembler.Reg.X12;
import static dev.tether.arch.arm64.A64Assembler.Reg.X2;
import static dev.tether.arch.arm64.A64Assembler.Reg.X3;
import static dev.tether.arch.arm64.A64Assembler.Reg.X4;
import static dev.tether.arch.arm64.A64Assembler.Reg.X5;
import static dev.tether.arch.arm64.A64Assembler.Reg.X8;
import static dev.tether.arch.arm64.A64Assembler.Reg.X9;
import static dev.tether.arch.arm64.A64Assembler.Reg.XZR;

import dev.tether.arch.arm64.A64Assembler.Cond;
import dev.tether.spi.TrapRegion;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;

/**
 * The trap platform's SIGSYS/fault handler for aarch64 (docs/trap.md, section 9; the job of gVisor's
 * {@code sysmsg/sighandler_arm64.c} {@code __export_sighandler}, reduced: the registers stay in the
 * signal frame, which Java reads in place on the shared alternate stack). Entered as
 * {@code handler(signo, siginfo, ucontext)} in x0, x1, x2 (AAPCS64, sigaction(2) SA_SIGINFO) with x30 =
 * {@code sa_restorer} (arch/arm64/kernel/signal.c, {@code setup_return}); every register but x30 and sp
 * may be clobbered, since the frame holds the guest's and rt_sigreturn reloads them.
 *
 * <p>Ordering (docs/trap.md, section 4): the publishing stores are {@code stlr} (store-release: the
 * frame and the event words are visible before {@code STATE}) followed by {@code dmb ish} (the store is
 * visible before the following load of the other side's sleeping word, the Dekker pair); {@code STATE}
 * is polled with {@code ldar} (load-acquire: the kernel's rt_sigreturn reads the frame Java wrote only
 * after it saw {@code RESUME}). Only ARMv8.0 instructions: the LSE {@code swpal} would be an undefined
 * instruction on cores without FEAT_LSE, such as the Cortex-A72 that {@code ./tether arm64-check} emulates.
 */
final class Arm64TrapHandler {
    /** Label of the restorer (sa_restorer), the handler's return address. */
    static final String RESTORER = "restorer";
    /** futex(2) operations, include/uapi/linux/futex.h (shared futexes: the region is MAP_SHARED). */
    static final int FUTEX_WAIT = 0;
    static final int FUTEX_WAKE = 1;

    private Arm64TrapHandler() {
    }

    static Program assemble() {
        A64Assembler a = new A64Assembler();
        Label spin = a.label("spin");
        Label poll = a.label("poll");
        Label sleep = a.label("sleep");
        Label woke = a.label("woke");
        Label resume = a.label("resume");
        Label done = a.label("done");
        Label restorer = a.label(RESTORER);

        // x9 = the region: the frame is on the alternate stack, inside the SIZE-aligned region
        a.addImm(X9, SP, 0).andImm(X9, X9, -TrapRegion.SIZE);
        a.str(X0, X9, TrapRegion.SIGNO).str(X1, X9, TrapRegion.SIGINFO).str(X2, X9, TrapRegion.UCONTEXT);
        a.ldr(X10, X9, TrapRegion.EVENTS).addImm(X10, X10, 1).str(X10, X9, TrapRegion.EVENTS);
        // the guest's thread pointer, for Java to read: the frame has no TPIDR_EL0 record (signal.c), and a
        // guest sets it with msr, without a system call (gVisor's sighandler_arm64.c reads it the same way)
        a.mrsTpidrEl0(X10).str(X10, X9, TrapRegion.TLS);
        // publish: STATE = EVENT (release), then a full barrier before JAVA_SLEEPING is read
        a.movz(X10, TrapRegion.EVENT).stlr(X10, X9).dmbIsh();
        a.ldr(X10, X9, TrapRegion.JAVA_SLEEPING).cbz(X10, spin);
        futex(a, FUTEX_WAKE, 1); // futex(&STATE, FUTEX_WAKE, 1, 0, 0, 0)
        a.bind(spin);
        a.ldr(X11, X9, TrapRegion.SPIN);
        a.bind(poll);
        a.ldar(X10, X9).cmpImm(X10, TrapRegion.RESUME).bcond(Cond.EQ, resume);
        a.cbz(X11, sleep);
        a.yield().subImm(X11, X11, 1).b(poll);
        a.bind(sleep);
        // GUEST_SLEEPING = 1 (release), then a full barrier before STATE is read again
        a.addImm(X12, X9, TrapRegion.GUEST_SLEEPING).movz(X10, 1).stlr(X10, X12).dmbIsh();
        a.ldar(X10, X9).cmpImm(X10, TrapRegion.RESUME).bcond(Cond.EQ, woke);
        futex(a, FUTEX_WAIT, TrapRegion.EVENT); // futex(&STATE, FUTEX_WAIT, EVENT, NULL, 0, 0)
        a.bind(woke);
        a.str(XZR, X9, TrapRegion.GUEST_SLEEPING).movz(X11, 0).b(poll);
        // SET_TLS: load Java's thread pointer (rt_sigreturn leaves TPIDR_EL0 alone, signal.c), with msr:
        // no system call, so nothing for the filters
        a.bind(resume).ldr(X10, X9, TrapRegion.SET_TLS).cbz(X10, done);
        a.ldr(X10, X9, TrapRegion.TLS).msrTpidrEl0(X10).str(XZR, X9, TrapRegion.SET_TLS);
        a.bind(done).ret(); // to sa_restorer, which the kernel put in x30
        a.bind(restorer);
        a.movz(X8, Arm64Sysno.SYS_RT_SIGRETURN).svc(0);
        a.hlt(0); // not reached: rt_sigreturn does not return
        return a.assemble();
    }

    /** futex(&region[STATE], op, val, 0, 0, 0): the argument constraints of the guest thread's filter. */
    private static void futex(A64Assembler a, int op, int val) {
        a.movReg(X0, X9).movz(X1, op).movz(X2, val).movz(X3, 0).movz(X4, 0).movz(X5, 0);
        a.movz(X8, Arm64Sysno.SYS_FUTEX).svc(0);
    }
}
