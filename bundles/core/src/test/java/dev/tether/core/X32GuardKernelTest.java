package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Signals;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.ForeignAbi;
import dev.tether.seccomp.ForeignAbiSyscalls;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The x32 check on the live kernel's verdict path (amd64 only: arm64 has no foreign ABI). On
 * x86-64 the kernel runs the seccomp filter on syscall entry, before it dispatches on the number
 * (arch/x86/entry/common.c: {@code do_syscall_64} calls {@code syscall_enter_from_user_mode}
 * first, then {@code do_syscall_x64} / {@code do_syscall_x32}), so the filter sees an x32 number
 * ({@code __X32_SYSCALL_BIT | nr}, arch/x86/include/uapi/asm/unistd.h) whether or not the kernel
 * was built with {@code CONFIG_X86_X32_ABI}; what a kernel without it does with a number the
 * filter allows is {@code -ENOSYS}, one with it runs the x32 syscall.
 *
 * <p>Stubs get the stub's own rules with distinct ERRNO actions: default ERRNO(4095), bad arch
 * ERRNO(123). Every verdict is also computed by the BPF interpreter on the compiled program and
 * by the rule model, which must agree with the kernel.
 */
@ExtendWith(NoLeftoverProcesses.class)
class X32GuardKernelTest {
    static final int DEFAULT_ERRNO = KernelQuirks.MARKER_ERRNO;
    static final int BAD_ARCH_ERRNO = 123;
    static final int RULE_ERRNO = 77;

    static StubPlatformImpl platform;
    static final SyscallTable TABLE = TestArch.table();
    static ForeignAbi x32;
    static int getpid;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(TABLE.foreignAbi().isPresent(), TABLE.arch() + " has no foreign ABI (x32 is amd64's)");
        x32 = TABLE.foreignAbi().get();
        getpid = TABLE.require("getpid");
        platform = TestArch.platform(Settings.defaults());
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    /** The stub policy's rules (the stub must boot), default ERRNO(4095), bad arch ERRNO(123). */
    static Policy policy(ForeignAbiSyscalls x32Syscalls, List<RuleSet> extra) {
        Policy stub = platform.stubPolicy(Action.errno(DEFAULT_ERRNO));
        List<RuleSet> sets = new ArrayList<>(stub.ruleSets());
        sets.addAll(extra);
        return new Policy(Action.errno(DEFAULT_ERRNO), Action.errno(BAD_ARCH_ERRNO), sets, x32Syscalls);
    }

    /** Injects {@code nr} with no arguments, checking the kernel against the interpreter and the rules. */
    static long injectAndCompare(Stub stub, Policy policy, long nr) {
        long ip = platform.facts().stubAddress() + platform.stubCode().syscallOffset();
        SeccompData data = SeccompData.of((int) nr, TABLE.auditArch(), ip);
        Program program = SeccompCompiler.compile(policy, TABLE);
        Action interpreted = Action.raw(Interpreter.run(program, data.toBytes(ByteOrder.nativeOrder()), ByteOrder.nativeOrder()).value());
        assertEquals(policy.evaluate(data, TABLE), interpreted, "interpreter vs rules for " + data);
        long got = stub.syscall(nr);
        if (interpreted.actionPart() == Action.RET_ERRNO) {
            assertEquals(-interpreted.data(), got, "kernel vs interpreter for " + data);
        }
        return got;
    }

    @Test
    void x32SyscallsGetTheBadArchActionAndMinusOneTheRules() {
        Policy policy = policy(ForeignAbiSyscalls.BAD_ARCH_ACTION, List.of());
        try (Stub stub = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            // a native getpid runs
            assertEquals(stub.pid(), injectAndCompare(stub, policy, getpid));
            // x32 getpid, x32 ptrace (__NR_ptrace = __X32_SYSCALL_BIT + 521, asm/unistd_x32.h),
            // the first and last x32 numbers, and numbers above (negative ints): the bad-arch action
            long bit = x32.syscallBit();
            for (long nr : new long[] {bit | getpid, bit | 521, bit, 0x7fffffffL, 0x80000000L | getpid, -2}) {
                assertEquals(-BAD_ARCH_ERRNO, injectAndCompare(stub, policy, nr), "nr 0x" + Long.toHexString(nr));
            }
            // -1 (a tracer's "skip this syscall") is no x32 call: the rules decide, here the default
            assertEquals(-DEFAULT_ERRNO, injectAndCompare(stub, policy, -1));
            // a native number outside the rules: the default
            assertEquals(-DEFAULT_ERRNO, injectAndCompare(stub, policy, TABLE.require("getuid")));
            assertEquals(stub.pid(), stub.syscall(getpid), "the stub still works");
        }
    }

    /**
     * With {@code "x32": "ruleSets"} the kernel hands x32 numbers to the rules: an x32 getpid
     * listed with ERRNO(77) gets -77, an unlisted one the default; allowed, it shows what this
     * kernel does with x32 (runs it with CONFIG_X86_X32_ABI, else -ENOSYS).
     */
    @Test
    void x32AsItsOwnArchReachesTheRules() {
        int x32Getpid = x32.syscallBit() | getpid;
        int x32Getppid = x32.syscallBit() | TABLE.require("getppid");
        Policy policy = policy(ForeignAbiSyscalls.RULE_SETS, List.of(
                RuleSet.of(Action.errno(RULE_ERRNO), SyscallRule.any(x32Getpid)),
                RuleSet.of(Action.ALLOW, SyscallRule.any(x32Getppid))));
        try (Stub stub = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            assertEquals(-RULE_ERRNO, injectAndCompare(stub, policy, x32Getpid));
            assertEquals(-DEFAULT_ERRNO, injectAndCompare(stub, policy, x32.syscallBit() | 521));
            long allowed = injectAndCompare(stub, policy, x32Getppid);
            boolean x32Kernel = allowed > 0;
            assertTrue(allowed == -Errno.ENOSYS || x32Kernel, "an allowed x32 getppid returned " + allowed);
            System.out.println("note: this kernel " + (x32Kernel ? "runs x32 syscalls (CONFIG_X86_X32_ABI): x32 getppid returned "
                    + allowed : "has no x32 ABI: an allowed x32 syscall returns -ENOSYS") + "; seccomp sees x32 numbers either way");
            // the same policy with the check: the listed x32 numbers are never asked about
            Policy guarded = policy.withForeignAbiSyscalls(ForeignAbiSyscalls.BAD_ARCH_ACTION);
            try (Stub g = platform.attachedThread(Clone.CLONE_FILES, guarded)) {
                assertEquals(-BAD_ARCH_ERRNO, injectAndCompare(g, guarded, x32Getpid));
                assertEquals(-BAD_ARCH_ERRNO, injectAndCompare(g, guarded, x32Getppid));
            }
        }
    }

    /**
     * The stub policy Tether installs: its bad-arch action is its default (kill), so an x32
     * syscall kills the stub, as any syscall outside the policy does.
     */
    @Test
    void anX32SyscallKillsAStub() {
        for (long nr : new long[] {x32.syscallBit() | getpid, x32.syscallBit() | TABLE.require("mmap")}) {
            Stub stub = platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
            assertEquals(stub.pid(), stub.syscall(getpid));
            StubDiedException e = assertThrows(StubDiedException.class, () -> stub.syscall(nr), "nr 0x" + Long.toHexString(nr));
            assertEquals(Signals.SIGSYS, e.termSignal(), e.getMessage());
            stub.close();
        }
    }
}
