package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.api.FailureMode;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.linux.NativeMemory;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stubs' seccomp filters: the policies (gVisor's {@code attachedThread} allow-list plus the
 * arch's {@code appendArchSeccompRules}, as {@link StubPolicy} builds it), compiled to BPF and
 * kept in native memory as the {@code struct sock_fprog} the trampoline installs. The stub and
 * master filters are compiled once per default action and cached until {@link #close}; a caller's
 * own policy is compiled afresh for its one stub.
 */
final class StubFilters implements AutoCloseable {
    private final SyscallTable table;
    private final SeccompContribution contribution;
    private final long processCloneFlags;
    private final StubImage image;
    /** Compiled filters by kind and action; guarded by itself, a leaf lock. */
    private final Map<String, NativeMemory> cache = new HashMap<>();

    StubFilters(SyscallTable table, SeccompContribution contribution, FailureMode mode, StubImage image) {
        this.table = table;
        this.contribution = contribution;
        this.image = image;
        // CLONE_FILES | the failure mode's exit signal (gVisor's createStub passes SIGKILL | CLONE_FILES;
        // docs/architecture.md, section 6: contained mode clones with exit signal 0).
        this.processCloneFlags = Clone.CLONE_FILES | (mode == FailureMode.FAIL_STOP ? Signals.SIGKILL : 0);
    }

    /** The clone flags of a stub process: CLONE_FILES and the failure mode's exit signal. */
    long processCloneFlags() {
        return processCloneFlags;
    }

    /** The stub policy for the platform's failure mode (its process-clone rule names the mode's exit signal). */
    Policy stubPolicy(Action action) {
        return StubPolicy.build(table, contribution, action, processCloneFlags);
    }

    /**
     * The master's policy, inherited by every subprocess: the stub policy plus one rule set of
     * Tether's own, appended after gVisor's and the arch's, allowing {@code mprotect} for
     * {@code Subprocess.protect} (gVisor's address spaces only map and unmap). With a legacy
     * ALLOW default nothing needs adding.
     */
    Policy subprocessPolicy(Action action) {
        Policy p = stubPolicy(action);
        if (action.equals(Action.ALLOW)) {
            return p;
        }
        List<RuleSet> sets = new ArrayList<>(p.ruleSets());
        sets.add(new RuleSet(Action.ALLOW, false, List.of(SyscallRule.any(table.require("mprotect")),
                // the trap platform's set-up calls, injected into a guest thread before it is
                // detached (docs/trap.md, section 5; gVisor's systrap stub policy allows the last
                // two, attachedThread in pkg/sentry/platform/systrap/subprocess_linux.go)
                SyscallRule.any(table.require("rt_sigaction")),
                SyscallRule.any(table.require("sigaltstack")),
                // SECCOMP_SET_MODE_FILTER (1) with no flags: include/uapi/linux/seccomp.h
                SyscallRule.anyOf(table.require("seccomp"), Rule.of(Matcher.eq(1), Matcher.eq(0))))));
        return p.withRuleSets(sets);
    }

    /**
     * The stub filter for {@code action}, compiled once per action (the policy does not depend on
     * a stub's own clone flags), or {@code custom} compiled afresh (the caller frees it).
     */
    NativeMemory filter(Action action, Policy custom) {
        if (custom != null) {
            return compile(custom);
        }
        synchronized (cache) {
            return cache.computeIfAbsent("stub:" + action, k -> compile(stubPolicy(action)));
        }
    }

    /** The master's filter ({@link #subprocessPolicy}), compiled once. */
    NativeMemory masterFilter(Action defaultAction) {
        synchronized (cache) {
            return cache.computeIfAbsent("master:" + defaultAction, k -> {
                Policy p = subprocessPolicy(defaultAction);
                if (defaultAction.equals(Action.ALLOW)) {
                    return compile(p);
                }
                // split by IP: calls from outside the stub page are trapped, not killed (SubprocessFilter)
                return compile(SubprocessFilter.compile(p, table, image.stubAddress, image.stubAddress + image.stubLength));
            });
        }
    }

    /**
     * A compiled filter as a {@code struct sock_fprog} in native memory: {@code u16 len; 6 bytes
     * padding; sock_filter *filter}, with the program bytes following the 16-byte header.
     */
    private NativeMemory compile(Policy policy) {
        return compile(SeccompCompiler.compile(policy, table));
    }

    private static NativeMemory compile(Program prog) {
        byte[] bytes = prog.toBytes(NativeMemory.order());
        NativeMemory m = NativeMemory.allocate(16 + bytes.length);
        m.putShort(0, (short) prog.size());
        m.putLong(8, m.address() + 16);
        m.write(16, bytes, 0, bytes.length);
        return m;
    }

    /**
     * Whether a caller's own policy lets the stub's two munmap calls through (checked with the
     * BPF interpreter on the compiled program, as the kernel would run it): a stub whose policy
     * forbids munmap keeps the JVM's image, as it would be killed trimming it.
     */
    boolean allowsTrim(Policy policy) {
        Program prog = SeccompCompiler.compile(policy, table);
        int munmap = table.require("munmap");
        long ip = image.syscallAddress();
        long stub = image.stubAddress;
        long stubEnd = stub + image.stubLength;
        for (long[] args : new long[][] {{0, stub}, {stubEnd, image.taskSize - stubEnd}}) {
            byte[] data = SeccompData.of(munmap, table.auditArch(), ip, args).toBytes(NativeMemory.order());
            int verdict = Interpreter.run(prog, data, NativeMemory.order()).value();
            if ((verdict & Action.ACTION_FULL) != Action.RET_ALLOW) {
                return false;
            }
        }
        return true;
    }

    /** Frees the cached filters (once no stub can be created any more). */
    @Override
    public void close() {
        synchronized (cache) {
            cache.values().forEach(NativeMemory::close);
            cache.clear();
        }
    }
}
