package dev.tether.arch.amd64;

import static dev.tether.arch.amd64.X86Assembler.Reg.R10;
import static dev.tether.arch.amd64.X86Assembler.Reg.R8;
import static dev.tether.arch.amd64.X86Assembler.Reg.R9;
import static dev.tether.arch.amd64.X86Assembler.Reg.RAX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RBX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDI;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RSI;
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
import dev.tether.arch.amd64.X86Assembler.Cond;
import dev.tether.spi.RoundTripBlock;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;

/**
 * The x86-64 ptrace round trip ({@link RoundTripBlock}), {@code int roundTrip(uint64_t *block, const
 * void *unused)} with the SysV C ABI: {@code block} in rdi, 0 in eax on return. It makes only raw
 * system calls, so it needs no stack beyond saving rbx; the registers it uses across them are r8, r9
 * (caller-saved, and not touched by the kernel: SYSCALL clobbers only rax, rcx and r11, Intel SDM vol.
 * 2B, SYSCALL; entry_64.S) and rbx (callee-saved, pushed).
 */
final class Amd64RoundTrip {
    private Amd64RoundTrip() {
    }

    static Program assemble() {
        X86Assembler a = new X86Assembler();
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

        a.pushReg(RBX);
        a.movRegReg(R8, RDI); // r8 = block
        a.lea(R9, R8, ENTRIES); // r9 = the next entry
        a.movLoad(RBX, R8, SETS_END);
        // ptrace(PTRACE_SETREGSET, tid, type, &entry.iov) for each set entry
        a.bind(sets).cmpRegReg(R9, RBX).jcc(Cond.AE, resume);
        regset(a, Ptrace.PTRACE_SETREGSET);
        a.testRegReg(RAX, RAX).jcc(Cond.S, failEntry);
        a.addImm(R9, ENTRY_SIZE).jmp(sets);
        // ptrace(request, tid, 0, 0)
        a.bind(resume);
        a.movImm(RAX, Amd64Sysno.SYS_PTRACE).movLoad(RDI, R8, REQUEST).movLoad(RSI, R8, TID).movImm(RDX, 0).movImm(R10, 0);
        a.syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.S, failResume);
        // wait4(tid, &status, POLL_OPTIONS, NULL) once if asked; > 0: it reported the tracee
        a.movLoad(RDX, R8, POLL_OPTIONS).testRegReg(RDX, RDX).jcc(Cond.E, yield);
        wait4(a);
        a.testRegReg(RAX, RAX).jcc(Cond.G, waited);
        a.bind(yield);
        a.movLoad(RAX, R8, YIELD).testRegReg(RAX, RAX).jcc(Cond.E, block);
        a.movImm(RAX, Amd64Sysno.SYS_SCHED_YIELD).syscall();
        // wait4(tid, &status, WAIT_OPTIONS, NULL), again on EINTR
        a.bind(block);
        a.movLoad(RDX, R8, WAIT_OPTIONS);
        wait4(a);
        a.cmpImm(RAX, -Errno.EINTR).jcc(Cond.E, block);
        a.testRegReg(RAX, RAX).jcc(Cond.S, failWait);
        // ptrace(PTRACE_GETREGSET, tid, type, &entry.iov) for each get entry
        a.bind(waited).movLoad(RBX, R8, GETS_END);
        a.bind(gets).cmpRegReg(R9, RBX).jcc(Cond.AE, done);
        regset(a, Ptrace.PTRACE_GETREGSET);
        a.testRegReg(RAX, RAX).jcc(Cond.S, failEntry);
        a.addImm(R9, ENTRY_SIZE).jmp(gets);
        a.bind(done).movImm(RAX, 0).movStore(R8, FAILED_AT, RAX).jmp(out);
        a.bind(failEntry).movStore(R8, ERRNO, RAX).movStore(R8, FAILED_AT, R9).jmp(out);
        a.bind(failResume).movStore(R8, ERRNO, RAX).movImm(RAX, FAILED_RESUME).movStore(R8, FAILED_AT, RAX).jmp(out);
        a.bind(failWait).movStore(R8, ERRNO, RAX).movImm(RAX, FAILED_WAIT).movStore(R8, FAILED_AT, RAX);
        a.bind(out).movImm(RAX, 0).popReg(RBX).ret();
        return a.assemble();
    }

    /** ptrace(request, tid, entry.type, &entry.iov) for the entry at r9. */
    private static void regset(X86Assembler a, int request) {
        a.movImm(RAX, Amd64Sysno.SYS_PTRACE).movImm(RDI, request).movLoad(RSI, R8, TID).movLoad(RDX, R9, 0).lea(R10, R9, 8);
        a.syscall();
    }

    /** wait4(tid, &block[STATUS], rdx, NULL). */
    private static void wait4(X86Assembler a) {
        a.movImm(RAX, Amd64Sysno.SYS_WAIT4).movLoad(RDI, R8, TID).lea(RSI, R8, STATUS).movImm(R10, 0);
        a.syscall();
    }
}
