package dev.tether.arch.arm64;

import static dev.tether.arch.arm64.A64Assembler.Reg.X0;
import static dev.tether.arch.arm64.A64Assembler.Reg.X1;
import static dev.tether.arch.arm64.A64Assembler.Reg.X10;
import static dev.tether.arch.arm64.A64Assembler.Reg.X11;
import static dev.tether.arch.arm64.A64Assembler.Reg.X2;
import static dev.tether.arch.arm64.A64Assembler.Reg.X3;
import static dev.tether.arch.arm64.A64Assembler.Reg.X8;
import static dev.tether.arch.arm64.A64Assembler.Reg.X9;
import static dev.tether.arch.arm64.A64Assembler.Reg.XZR;
import static dev.tether.spi.RoundTripBlock.ENTRIES;
import static dev.tether.spi.RoundTripBlock.ENTRY_SIZE;
import static dev.tether.spi.RoundTripBlock.ERRNO;
import static dev.tether.spi.RoundTripBlock.FAILED_AT;
import static dev.tether.spi.RoundTripBlock.FAILED_RESUME;
import static dev.tether.spi.RoundTripBlock.FAILED_WAIT;
import static dev.tether.spi.RoundTripBlock.GETS_END;
import static dev.tether.spi.RoundTripBlock.POLL_OPTIONS;
import static dev.tether.spi.RoundTripBlock.REQUEST;
import static dev.tether.spi.RoundTripBlock.SETS_END;
import static dev.tether.spi.RoundTripBlock.STATUS;
import static dev.tether.spi.RoundTripBlock.TID;
import static dev.tether.spi.RoundTripBlock.WAIT_OPTIONS;
import static dev.tether.spi.RoundTripBlock.YIELD;

import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.arch.arm64.A64Assembler.Cond;
import dev.tether.spi.RoundTripBlock;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;

/**
 * The aarch64 ptrace round trip ({@link RoundTripBlock}), {@code int roundTrip(uint64_t *block,
 * const void *unused)} with the AAPCS64 C ABI: {@code block} in x0, 0 in w0 on return. It makes
 * only raw system calls ({@code svc #0}, number in x8, arguments in x0..x5, result in x0; the kernel
 * preserves every other register: arch/arm64/kernel/entry.S) and keeps its own values in x9..x11,
 * which the procedure call standard makes caller-saved ("corruptible"): no stack, x30 untouched.
 */
final class Arm64RoundTrip {
    private Arm64RoundTrip() {
    }

    static Program assemble() {
        A64Assembler a = new A64Assembler();
        Label sets = a.label("sets");
        Label resume = a.label("resume");
        Label yield = a.label("yield");
        Label block = a.label("block_wait");
        Label waited = a.label("waited");
        Label gets = a.label("gets");
        Label done = a.label("done");
        Label failEntry = a.label("fail_entry");
        Label failResume = a.label("fail_resume");
        Label failWait = a.label("fail_wait");
        Label out = a.label("out");

        a.movReg(X9, X0); // x9 = block
        a.addImm(X10, X9, ENTRIES); // x10 = the next entry
        a.ldr(X11, X9, SETS_END);
        // ptrace(PTRACE_SETREGSET, tid, type, &entry.iov) for each set entry
        a.bind(sets).cmpReg(X10, X11).bcond(Cond.HS, resume);
        regset(a, Ptrace.PTRACE_SETREGSET);
        a.cmpImm(X0, 0).bcond(Cond.LT, failEntry);
        a.addImm(X10, X10, ENTRY_SIZE).b(sets);
        // ptrace(request, tid, 0, 0)
        a.bind(resume);
        a.movImm(X8, Arm64Sysno.SYS_PTRACE).ldr(X0, X9, REQUEST).ldr(X1, X9, TID).movReg(X2, XZR).movReg(X3, XZR);
        a.svc(0);
        a.cmpImm(X0, 0).bcond(Cond.LT, failResume);
        // wait4(tid, &status, POLL_OPTIONS, NULL) once if asked; > 0: it reported the tracee
        a.ldr(X2, X9, POLL_OPTIONS).cbz(X2, yield);
        wait4(a);
        a.cmpImm(X0, 0).bcond(Cond.GT, waited);
        a.bind(yield);
        a.ldr(X0, X9, YIELD).cbz(X0, block);
        a.movImm(X8, Arm64Sysno.SYS_SCHED_YIELD).svc(0);
        // wait4(tid, &status, WAIT_OPTIONS, NULL), again on EINTR
        a.bind(block);
        a.ldr(X2, X9, WAIT_OPTIONS);
        wait4(a);
        a.cmnImm(X0, Errno.EINTR).bcond(Cond.EQ, block);
        a.cmpImm(X0, 0).bcond(Cond.LT, failWait);
        // ptrace(PTRACE_GETREGSET, tid, type, &entry.iov) for each get entry
        a.bind(waited).ldr(X11, X9, GETS_END);
        a.bind(gets).cmpReg(X10, X11).bcond(Cond.HS, done);
        regset(a, Ptrace.PTRACE_GETREGSET);
        a.cmpImm(X0, 0).bcond(Cond.LT, failEntry);
        a.addImm(X10, X10, ENTRY_SIZE).b(gets);
        a.bind(done).str(XZR, X9, FAILED_AT).b(out);
        a.bind(failEntry).str(X0, X9, ERRNO).str(X10, X9, FAILED_AT).b(out);
        a.bind(failResume).str(X0, X9, ERRNO).movImm(X0, FAILED_RESUME).str(X0, X9, FAILED_AT).b(out);
        a.bind(failWait).str(X0, X9, ERRNO).movImm(X0, FAILED_WAIT).str(X0, X9, FAILED_AT);
        a.bind(out).movz(X0, 0).ret();
        return a.assemble();
    }

    /** ptrace(request, tid, entry.type, &entry.iov) for the entry at x10. */
    private static void regset(A64Assembler a, int request) {
        a.movImm(X8, Arm64Sysno.SYS_PTRACE).movImm(X0, request).ldr(X1, X9, TID).ldr(X2, X10, 0).addImm(X3, X10, 8);
        a.svc(0);
    }

    /** wait4(tid, &block[STATUS], x2, NULL). */
    private static void wait4(A64Assembler a) {
        a.movImm(X8, Arm64Sysno.SYS_WAIT4).ldr(X0, X9, TID).addImm(X1, X9, STATUS).movReg(X3, XZR);
        a.svc(0);
    }
}
