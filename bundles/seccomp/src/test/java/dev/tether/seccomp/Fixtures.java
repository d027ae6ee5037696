package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Test fixtures: small syscall tables with numbers from the kernel's syscall tables (the real, complete
 * tables live in the arch bundles) and the amd64/arm64 seccomp contributions of gVisor's
 * {@code appendArchSeccompRules} ({@code subprocess_<arch>.go}).
 */
final class Fixtures {
    private Fixtures() {
    }

    /** AUDIT_ARCH_X86_64 (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    /** AUDIT_ARCH_AARCH64 (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;
    /** AUDIT_ARCH_I386, a foreign arch for both. */
    static final int AUDIT_ARCH_I386 = 0x40000003;
    /** ARCH_SET_CPUID (arch/x86/include/uapi/asm/prctl.h). */
    static final long ARCH_SET_CPUID = 0x1012;

    /** x86-64's x32 ABI: __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h). */
    static final ForeignAbi X32 = new ForeignAbi("x32", 0x40000000);

    static final class Table implements SyscallTable {
        private final String arch;
        private final int audit;
        private final ForeignAbi foreignAbi;
        private final Map<String, Integer> byName = new LinkedHashMap<>();

        Table(String arch, int audit, ForeignAbi foreignAbi, Object... nameNr) {
            this.arch = arch;
            this.audit = audit;
            this.foreignAbi = foreignAbi;
            for (int i = 0; i < nameNr.length; i += 2) {
                byName.put((String) nameNr[i], (Integer) nameNr[i + 1]);
            }
        }

        @Override public String arch() { return arch; }
        @Override public int auditArch() { return audit; }
        @Override public OptionalInt number(String name) {
            Integer n = byName.get(name);
            return n == null ? OptionalInt.empty() : OptionalInt.of(n);
        }
        @Override public Optional<String> name(int nr) {
            for (Map.Entry<String, Integer> e : byName.entrySet()) {
                if (e.getValue() == nr) {
                    return Optional.of(e.getKey());
                }
            }
            return Optional.empty();
        }
        @Override public Map<String, Integer> all() {
            List<Map.Entry<String, Integer>> l = new ArrayList<>(byName.entrySet());
            l.sort(Map.Entry.comparingByValue());
            Map<String, Integer> m = new LinkedHashMap<>();
            l.forEach(e -> m.put(e.getKey(), e.getValue()));
            return Collections.unmodifiableMap(m);
        }
        @Override public String source() { return "test fixture: numbers of the kernel's syscall tables"; }
        @Override public Optional<ForeignAbi> foreignAbi() { return Optional.ofNullable(foreignAbi); }
    }

    /** amd64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
    static final Table AMD64 = new Table("amd64", AUDIT_ARCH_X86_64, X32,
            "mmap", 9, "munmap", 11, "rt_sigprocmask", 14, "sched_yield", 24, "getpid", 39, "clone", 56, "exit", 60,
            "wait4", 61, "kill", 62, "gettimeofday", 96, "ptrace", 101, "getuid", 102, "getppid", 110, "setsid", 112,
            "prctl", 157, "arch_prctl", 158, "gettid", 186, "time", 201, "sched_setaffinity", 203, "tgkill", 234,
            "rt_tgsigqueueinfo", 297, "getcpu", 309, "seccomp", 317, "rseq", 334);

    /** arm64 numbers (include/uapi/asm-generic/unistd.h). */
    static final Table ARM64 = new Table("arm64", AUDIT_ARCH_AARCH64, null,
            "mmap", 222, "munmap", 215, "rt_sigprocmask", 135, "sched_yield", 124, "getpid", 172, "clone", 220, "exit", 93,
            "wait4", 260, "kill", 129, "gettimeofday", 169, "ptrace", 117, "getuid", 174, "getppid", 173, "setsid", 157,
            "prctl", 167, "gettid", 178, "sched_setaffinity", 122, "tgkill", 131, "rt_tgsigqueueinfo", 240, "getcpu", 168,
            "seccomp", 277, "rseq", 293);

    /** gVisor's amd64 appendArchSeccompRules (subprocess_amd64.go). */
    static final SeccompContribution AMD64_RULES = new SeccompContribution() {
        @Override public String arch() { return "amd64"; }
        @Override public List<RuleSet> append(List<RuleSet> rules, Action defaultAction) {
            List<RuleSet> out = new ArrayList<>(rules);
            // Legacy vsyscall entry points: TRAP, so that the tracer can emulate them (gVisor's
            // patchSignalInfo, subprocess_amd64.go).
            out.add(new RuleSet(Action.TRAP, true, List.of(
                    SyscallRule.any(AMD64.require("gettimeofday")),
                    SyscallRule.any(AMD64.require("time")),
                    SyscallRule.any(AMD64.require("getcpu")))));
            if (!defaultAction.equals(Action.ALLOW)) {
                // enableCpuidFault runs after the filter is installed.
                out.add(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(AMD64.require("arch_prctl"),
                        Rule.of(Matcher.eq(ARCH_SET_CPUID), Matcher.eq(0)))));
            }
            return out;
        }
    };

    /** gVisor's arm64 appendArchSeccompRules: nothing (subprocess_arm64.go). */
    static final SeccompContribution ARM64_RULES = new SeccompContribution() {
        @Override public String arch() { return "arm64"; }
        @Override public List<RuleSet> append(List<RuleSet> rules, Action defaultAction) {
            return List.copyOf(rules);
        }
    };
}
