package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.List;

/**
 * The seccomp policy of the ptrace stubs: gVisor's {@code attachedThread} rule set (seed
 * {@code 000_19fc602b057eb0aa.txt}, spec §2.2) followed by the architecture's contribution
 * ({@code appendArchSeccompRules}, spec §6.1). It allows exactly what the stub and the tracer's
 * injected system calls need; everything else gets the default action.
 */
public final class StubPolicy {
    /** prctl option that sets the parent-death signal (include/uapi/linux/prctl.h). */
    public static final long PR_SET_PDEATHSIG = 1;
    /** SIGKILL (include/uapi/asm-generic/signal.h; the same on x86). */
    public static final long SIGKILL = 9;
    /** SIGSTOP (include/uapi/asm-generic/signal.h; the same on x86). */
    public static final long SIGSTOP = 19;

    // Clone flags (include/uapi/linux/sched.h).
    /** Share the address space. */
    public static final long CLONE_VM = 0x100;
    /** Share filesystem information. */
    public static final long CLONE_FS = 0x200;
    /** Share the file descriptor table. */
    public static final long CLONE_FILES = 0x400;
    /** Share signal handlers. */
    public static final long CLONE_SIGHAND = 0x800;
    /** Let the tracer trace the child too. */
    public static final long CLONE_PTRACE = 0x2000;
    /** Same thread group. */
    public static final long CLONE_THREAD = 0x10000;
    /** Flags of a new thread inside a stub process: 0x12f00 (seed, spec §2.2 rule B). */
    public static final long THREAD_CLONE_FLAGS =
            CLONE_FILES | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_PTRACE | CLONE_VM;
    /** The seed's stub-process clone flags: CLONE_FILES | SIGKILL as exit signal = 0x409. */
    public static final long SEED_PROCESS_CLONE_FLAGS = CLONE_FILES | SIGKILL;

    private StubPolicy() {
    }

    /**
     * The stub policy.
     *
     * @param table the architecture's syscall numbers
     * @param arch the architecture's contribution (vsyscall TRAP set, arch_prctl on amd64)
     * @param defaultAction what happens to anything else: KILL_THREAD on kernels where seccomp
     *        runs after ptrace, ALLOW on legacy kernels (then only the arch rules apply, as in
     *        the seed)
     * @param processCloneFlags the clone flags of a new stub process: CLONE_FILES | exit signal
     *        ({@link #SEED_PROCESS_CLONE_FLAGS} in the seed's fail-stop mode)
     * @throws IllegalArgumentException if the table lacks one of the syscalls, or the table and
     *         the contribution are for different architectures
     */
    public static Policy build(SyscallTable table, SeccompContribution arch, Action defaultAction, long processCloneFlags) {
        if (!table.arch().equals(arch.arch())) {
            throw new IllegalArgumentException("syscall table is for " + table.arch() + " but the seccomp contribution is for "
                    + arch.arch());
        }
        List<RuleSet> rules = new ArrayList<>();
        if (!defaultAction.equals(Action.ALLOW)) {
            rules.add(new RuleSet(Action.ALLOW, false, List.of(
                    // New stub processes (master) and new threads in a stub (address spaces).
                    SyscallRule.anyOf(table.require("clone"),
                            Rule.of(Matcher.eq(processCloneFlags)),
                            Rule.of(Matcher.eq(THREAD_CLONE_FLAGS))),
                    // Initial process creation.
                    SyscallRule.any(table.require("wait4")),
                    SyscallRule.any(table.require("exit")),
                    // The stub's prctl dance: die with the parent.
                    SyscallRule.anyOf(table.require("prctl"), Rule.of(Matcher.eq(PR_SET_PDEATHSIG), Matcher.eq(SIGKILL))),
                    SyscallRule.any(table.require("getppid")),
                    // The stub stops itself.
                    SyscallRule.any(table.require("getpid")),
                    SyscallRule.anyOf(table.require("kill"), Rule.of(Matcher.any(), Matcher.eq(SIGSTOP))),
                    // Injected address-space operations.
                    SyscallRule.any(table.require("mmap")),
                    SyscallRule.any(table.require("munmap")))));
        }
        return new Policy(defaultAction, defaultAction, arch.append(rules, defaultAction));
    }
}
