package dev.tether.seccomp;

import dev.tether.abi.Clone;
import dev.tether.abi.Prctl;
import dev.tether.abi.Signals;
import java.util.ArrayList;
import java.util.List;

/**
 * The seccomp policy of the ptrace stubs: gVisor's {@code attachedThread} rule set (gVisor
 * {@code pkg/sentry/platform/ptrace/subprocess_linux.go}) followed by the
 * architecture's contribution ({@code appendArchSeccompRules} in {@code subprocess_<arch>.go}). It allows exactly what
 * the stub and the tracer's injected system calls need; everything else gets the default action.
 * {@link #seed} is gVisor's rule set exactly; {@link #build}, what Tether installs, narrows one rule
 * of it, kill's target.
 *
 * <h2>kill: what a stub may signal</h2>
 * gVisor allows {@code kill(any pid, SIGSTOP)} "for the stub to stop itself". The stub only ever
 * calls {@code kill(getpid(), SIGSTOP)} (gVisor {@code stub_amd64.s}/{@code stub_arm64.s}), and Tether injects no kill. The pid cannot be pinned to the caller's own: one filter is
 * built for all stubs and inherited by every stub forked from the master, each with its own pid,
 * and a filter sees only the syscall's number, arguments and instruction pointer
 * ({@code struct seccomp_data}, include/uapi/linux/seccomp.h), not who calls. What can be narrowed
 * soundly is the kind of target: {@link #build} allows only {@code pid <= 0x7fffffff} as an
 * unsigned 64-bit value, so one process ({@code pid > 0}) or the caller's own process group (0),
 * never -1 (every process the caller may signal) nor {@code -pgid} (another group). Every pid
 * getpid() returns is in range, so nothing the stub does changes. kill(2) takes an int: a value
 * whose high 32 bits are set, which the kernel would truncate to some pid, is refused. Pid 0 is
 * the caller's group: a host stub's own (the trampoline's setsid), a subprocess's the master's,
 * which holds only stubs, all traced.
 *
 * <p>What remains: an injected {@code kill(pid, SIGSTOP)} stops any one process the stub may
 * signal. Stubs hold no capability (the trampoline drops CAP_KILL with the others), so that is a
 * process of the stub's own uid (kernel/signal.c, {@code kill_ok_by_cred}): run as root, any root
 * process, the JVM included. That is acceptable because only Tether's Java API injects syscalls,
 * and its callers already run inside the JVM with the JVM's own rights (they could call kill(2)
 * themselves); guest code is to run under PTRACE_SYSEMU, where its syscalls stop in the tracer and
 * never execute, so the filter only ever judges injected calls ("seccomp will never run for
 * emulation", gVisor's createStub in subprocess_linux.go; Linux 4.8+, which probeSeccomp checks).
 * On older kernels the default action is ALLOW and this rule set is not installed at all (as in
 * gVisor): there the stub's containment is ptrace alone.
 *
 * <h2>x32</h2>
 * The policy leaves the syscalls of the arch's {@link ForeignAbi} (x32 on amd64) to the bad-arch
 * action, which is the default action here: an injected x32 syscall (any number from 0x40000000
 * up but -1) kills the stub as any syscall outside the policy does. gVisor's filter sends them
 * through its rules, where they reach its default action too; the check makes that independent
 * of the rules.
 */
public final class StubPolicy {
    /**
     * The stub-process clone flags of gVisor's fail-stop stubs (createStub in
     * subprocess_linux.go): CLONE_FILES with SIGKILL as the exit signal (the low byte), 0x409.
     */
    public static final long SEED_PROCESS_CLONE_FLAGS = Clone.CLONE_FILES | Signals.SIGKILL;
    /**
     * The largest pid kill's rule in {@link #build} lets through: INT_MAX, so pid_t values 0..INT_MAX
     * (one process, or the caller's group) with the upper 32 bits clear.
     */
    public static final long MAX_KILL_TARGET = 0x7fffffffL;

    private StubPolicy() {
    }

    /**
     * The stub policy Tether installs: {@link #seed} with kill's target narrowed to
     * {@code pid <= }{@link #MAX_KILL_TARGET} (see the class comment). Same parameters and
     * exceptions as {@link #seed}.
     */
    public static Policy build(SyscallTable table, SeccompContribution arch, Action defaultAction, long processCloneFlags) {
        return build(table, arch, defaultAction, processCloneFlags, Matcher.le(MAX_KILL_TARGET));
    }

    /**
     * gVisor's stub policy exactly, with kill's target unconstrained.
     *
     * @param table the architecture's syscall numbers
     * @param arch the architecture's contribution (vsyscall TRAP set, arch_prctl on amd64)
     * @param defaultAction what happens to anything else: KILL_THREAD on kernels where seccomp
     *        runs after ptrace, ALLOW on legacy kernels (then only the arch rules apply, as in
     *        gVisor's attachedThread)
     * @param processCloneFlags the clone flags of a new stub process: CLONE_FILES | exit signal
     *        ({@link #SEED_PROCESS_CLONE_FLAGS} in fail-stop mode, gVisor's flags)
     * @throws IllegalArgumentException if the table lacks one of the syscalls, or the table and
     *         the contribution are for different architectures
     */
    public static Policy seed(SyscallTable table, SeccompContribution arch, Action defaultAction, long processCloneFlags) {
        return build(table, arch, defaultAction, processCloneFlags, Matcher.any());
    }

    private static Policy build(SyscallTable table, SeccompContribution arch, Action defaultAction, long processCloneFlags,
            Matcher killTarget) {
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
                            Rule.of(Matcher.eq(Clone.STUB_THREAD_FLAGS))),
                    // Initial process creation.
                    SyscallRule.any(table.require("wait4")),
                    SyscallRule.any(table.require("exit")),
                    // The stub's prctl dance: die with the parent.
                    SyscallRule.anyOf(table.require("prctl"), Rule.of(Matcher.eq(Prctl.PR_SET_PDEATHSIG), Matcher.eq(Signals.SIGKILL))),
                    SyscallRule.any(table.require("getppid")),
                    // The stub stops itself.
                    SyscallRule.any(table.require("getpid")),
                    SyscallRule.anyOf(table.require("kill"), Rule.of(killTarget, Matcher.eq(Signals.SIGSTOP))),
                    // Injected address-space operations.
                    SyscallRule.any(table.require("mmap")),
                    SyscallRule.any(table.require("munmap")))));
        }
        return new Policy(defaultAction, defaultAction, arch.append(rules, defaultAction));
    }
}
