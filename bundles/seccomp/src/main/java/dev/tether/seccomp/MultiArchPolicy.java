package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One filter for several syscall ABIs, as runc loads a container profile's
 * {@code architectures} into one libseccomp filter ({@code seccomp_arch_add} per arch): each ABI
 * has its own syscall table and its own {@link Policy} (the same rules resolved to its numbers),
 * and a call of any other audit arch gets the bad-arch action. The reference evaluator of what
 * {@link MultiArchCompiler} compiles.
 *
 * <p><b>x32</b> shares AUDIT_ARCH_X86_64 with amd64 and is told apart by
 * {@code __X32_SYSCALL_BIT} in the number. As libseccomp's {@code _gen_bpf_arch} (src/gen_bpf.c):
 * with amd64 alone, x32 numbers get the bad-arch action (amd64's {@link ForeignAbi} guard); with
 * x32 alone, numbers without the bit get the bad-arch action; with both, a number with the bit
 * (other than -1) goes to x32's rules and every other number to amd64's, whatever is not listed
 * getting the default action.
 *
 * <p><b>32-bit ABIs</b> ({@link SyscallTable#argumentBits()} 32: i386, arm, x32) compare only the
 * low 32 bits of an argument, as libseccomp does; the verdict is the policy's on the arguments cut
 * to 32 bits, and the policy's values must fit in 32 bits (checked).
 *
 * @param parts one per ABI, in the order of the profile's architectures
 * @param badArchAction what a call of an unlisted audit arch gets
 */
public record MultiArchPolicy(List<Part> parts, Action badArchAction) {
    /** One ABI: its table and its policy (whose own bad-arch action is ignored). */
    public record Part(SyscallTable table, Policy policy) {
        public Part {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(policy, "policy");
        }
    }

    /** Which ABI's part decided, and how. {@code arch} is null for an unlisted audit arch. */
    public record Decision(String arch, Verdict verdict) {
    }

    /** Checks the parts: at least one, no arch twice, audit arches shared only by amd64 and x32. */
    public MultiArchPolicy {
        parts = List.copyOf(parts);
        Objects.requireNonNull(badArchAction, "badArchAction");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a multi-arch policy needs at least one architecture");
        }
        Set<String> names = new HashSet<>();
        Map<Integer, List<Part>> byAudit = new LinkedHashMap<>();
        for (Part p : parts) {
            if (!names.add(p.table().arch())) {
                throw new IllegalArgumentException("architecture " + p.table().arch() + " listed twice");
            }
            byAudit.computeIfAbsent(p.table().auditArch(), k -> new ArrayList<>()).add(p);
            if (p.table().argumentBits() == 32) {
                check32(p);
            }
        }
        for (List<Part> group : byAudit.values()) {
            if (group.size() > 2 || group.size() == 2 && foreignPart(group).isEmpty()) {
                List<String> n = group.stream().map(p -> p.table().arch()).toList();
                throw new IllegalArgumentException("architectures " + n + " share audit arch 0x"
                        + Integer.toHexString(group.get(0).table().auditArch())
                        + ": only a native ABI and its foreign ABI (amd64 and x32) may");
            }
        }
    }

    /** A single-ABI policy as a multi-arch one. */
    public static MultiArchPolicy of(SyscallTable table, Policy policy) {
        return new MultiArchPolicy(List.of(new Part(table, policy)), policy.badArchAction());
    }

    /** The parts sharing {@code auditArch}, in order (empty, one, or the native and its foreign ABI). */
    List<Part> group(int auditArch) {
        return parts.stream().filter(p -> p.table().auditArch() == auditArch).toList();
    }

    /**
     * In a group of two, the part whose table is the other's foreign ABI (x32 beside amd64); in a
     * group of one, the part itself if its table is some arch's foreign ABI (x32 alone).
     */
    static Optional<Part> foreignPart(List<Part> group) {
        for (Part p : group) {
            if (isForeign(p.table())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code t} is a foreign ABI's table: x32's. */
    static boolean isForeign(SyscallTable t) {
        return t == CompatSyscallTables.x32();
    }

    /** The policy, and the table's verdict path, used for the native part of a group with its foreign ABI. */
    static Policy nativeWithForeign(Policy p) {
        return p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS);
    }

    /** The verdict contract: {@link #decide}'s action. */
    public Action evaluate(SeccompData data) {
        return decide(data).verdict().action();
    }

    /** The verdict, with the ABI that decided. */
    public Decision decide(SeccompData data) {
        List<Part> group = group(data.arch());
        Verdict badArch = new Verdict(badArchAction, Verdict.Reason.BAD_ARCH, -1, -1, -1, List.of());
        if (group.isEmpty()) {
            return new Decision(null, badArch);
        }
        Optional<Part> foreign = foreignPart(group);
        if (foreign.isEmpty()) {
            Part p = group.get(0);
            return new Decision(p.table().arch(), p.policy().withBadArch(badArchAction).decide(cut(data, p.table()), p.table()));
        }
        Part x = foreign.get();
        int bit = CompatSyscallTables.X32_SYSCALL_BIT;
        if (group.size() == 1) {
            // x32 alone: libseccomp's "filter out x86_64", nr >= bit unsigned (-1 included)
            if (Integer.compareUnsigned(data.nr(), bit) < 0) {
                return new Decision(x.table().arch(), badArch);
            }
            return new Decision(x.table().arch(), x.policy().withBadArch(badArchAction).decide(cut(data, x.table()), x.table()));
        }
        Part n = group.get(0) == x ? group.get(1) : group.get(0);
        if (data.nr() != -1 && Integer.compareUnsigned(data.nr(), bit) >= 0) {
            return new Decision(x.table().arch(), x.policy().withBadArch(badArchAction).decide(cut(data, x.table()), x.table()));
        }
        Policy np = nativeWithForeign(n.policy()).withBadArch(badArchAction);
        return new Decision(n.table().arch(), np.decide(data, n.table()));
    }

    /** {@code data} as a 32-bit ABI's filter sees it: arguments cut to their low 32 bits. */
    static SeccompData cut(SeccompData data, SyscallTable table) {
        if (table.argumentBits() != 32) {
            return data;
        }
        long[] args = data.argsArray();
        for (int i = 0; i < args.length; i++) {
            args[i] &= 0xffffffffL;
        }
        return new SeccompData(data.nr(), data.arch(), data.instructionPointer(), args);
    }

    private static void check32(Part p) {
        for (RuleSet set : p.policy().ruleSets()) {
            for (SyscallRule s : set.syscalls()) {
                for (Rule r : s.anyOf()) {
                    for (Matcher m : r.args()) {
                        if (!fits32(m)) {
                            throw new IllegalArgumentException(p.table().arch() + " compares 32-bit arguments, but syscall "
                                    + p.table().name(s.nr()).orElse(String.valueOf(s.nr())) + " has the test " + m
                                    + " on a wider value");
                        }
                    }
                }
            }
        }
    }

    /** Whether every value of {@code m} fits in 32 bits. */
    static boolean fits32(Matcher m) {
        long hi = 0;
        if (m instanceof Matcher.MaskedEq me) {
            hi = (me.mask() | me.value()) >>> 32;
        } else if (m instanceof Matcher.Eq e) {
            hi = e.value() >>> 32;
        } else if (m instanceof Matcher.Ne e) {
            hi = e.value() >>> 32;
        } else if (m instanceof Matcher.Gt e) {
            hi = e.value() >>> 32;
        } else if (m instanceof Matcher.Ge e) {
            hi = e.value() >>> 32;
        } else if (m instanceof Matcher.Lt e) {
            hi = e.value() >>> 32;
        } else if (m instanceof Matcher.Le e) {
            hi = e.value() >>> 32;
        }
        return hi == 0;
    }
}
