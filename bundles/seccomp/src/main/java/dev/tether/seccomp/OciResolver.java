package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Resolves an {@link OciProfile} for one container the way Docker does before handing it to
 * runc, then turns it into the filter runc loads: a {@link MultiArchPolicy}.
 *
 * <p><b>Resolution</b> follows moby's {@code setupSeccomp} (profiles/seccomp/seccomp_linux.go,
 * github.com/moby/profiles, vendored in moby/moby): the native arch (libseccomp's name:
 * {@code amd64}, {@code arm64}, {@code x86}, {@code arm}, {@code x32}) picks the {@code archMap}
 * entry of its {@code SCMP_ARCH_*} (the arch plus its sub-arches); an entry is dropped when
 * {@code excludes.arches} holds the native arch, {@code excludes.caps} holds any capability of the
 * container's bounding set, or the kernel is at least {@code excludes.minKernel}; and when
 * {@code includes.arches} lacks the native arch, {@code includes.caps} has a capability the
 * container lacks, or the kernel is older than {@code includes.minKernel} (major.minor, as moby's
 * {@code kernelGreaterEqualThan}). The default capabilities are Docker's
 * ({@code DefaultCapabilities}, daemon/pkg/oci/caps/defaults.go). Podman (containers/common
 * pkg/seccomp/seccomp_linux.go {@code setupSeccomp}) differs: it ignores {@code minKernel} and also
 * takes errno names ({@code "errno": "EPERM"}), which this reader refuses.
 *
 * <p><b>Loading</b> follows runc's {@code InitSeccomp} and {@code matchCall}
 * (libcontainer/seccomp/seccomp_linux.go): an entry whose action equals the default action is
 * skipped; an ERRNO or TRACE action without {@code errnoRet} uses EPERM (1); the args of an entry
 * are ANDed into one rule, except that when an argument index appears twice each comparison
 * becomes a rule of its own (ORed); MASKED_EQ is {@code (arg & value) == (valueTwo & value)}
 * (libseccomp's {@code _db_node_mask_fixup}, src/db.c); a 32-bit ABI compares the low 32 bits of
 * arguments and values. The bad-arch action is libseccomp's default, kill_thread
 * ({@code SCMP_ACT_KILL}, src/db.c {@code _db_col_reset}); runc does not change it.
 *
 * <p>Names a table does not know are dropped with one warning per arch listing them (runc logs
 * "unknown seccomp syscall ... ignored"); with {@code strict} they are an error. Two entries that
 * give one syscall different actions are an error naming both, unless their argument conditions
 * provably never hold together ({@link Disjoint}).
 */
public final class OciResolver {
    /** Docker's default bounding set (moby daemon/pkg/oci/caps/defaults.go {@code DefaultCapabilities}). */
    public static final List<String> DOCKER_DEFAULT_CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /** libseccomp's arch names and their SCMP_ARCH_* (moby's nativeToSeccomp), for the ABIs Tether has tables of. */
    static final Map<String, String> SCMP_ARCH = Map.of("amd64", "SCMP_ARCH_X86_64", "x86", "SCMP_ARCH_X86", "x32",
            "SCMP_ARCH_X32", "arm64", "SCMP_ARCH_AARCH64", "arm", "SCMP_ARCH_ARM");

    private OciResolver() {
    }

    /** A kernel release's major.minor, compared as moby's {@code kernelGreaterEqualThan}. */
    public record KernelVersion(int major, int minor) implements Comparable<KernelVersion> {
        /**
         * Parses {@code "5.8"} or a release such as {@code "6.1.0-18-amd64"} (major.minor, then anything).
         *
         * @throws IllegalArgumentException naming the text
         */
        public static KernelVersion parse(String text) {
            int[] v = KernelRelease.majorMinor(text);
            return new KernelVersion(v[0], v[1]);
        }

        @Override
        public int compareTo(KernelVersion o) {
            return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    /**
     * How to resolve.
     *
     * @param nativeArch the arch includes/excludes test ({@code amd64}, ...)
     * @param arches the filter's ABIs; empty: the native arch plus what the profile lists for it
     * @param caps the container's bounding capabilities ({@code CAP_*})
     * @param kernel the kernel includes/excludes compare with
     * @param strict unknown syscall names and arches without a table are errors, not warnings
     */
    public record Options(String nativeArch, List<String> arches, Set<String> caps, KernelVersion kernel, boolean strict) {
        public Options {
            arches = List.copyOf(arches);
            caps = Set.copyOf(caps);
        }
    }

    /** The result: the filter, the warnings, and where each rule came from. */
    public record Resolution(MultiArchPolicy policy, List<String> warnings, Map<String, List<Map<Integer, List<Integer>>>> origins) {
        /**
         * The profile entry that decided, e.g. {@code syscalls[3]}, or null for the default and
         * bad-arch actions.
         */
        public String entry(MultiArchPolicy.Decision d) {
            Verdict v = d.verdict();
            if (d.arch() == null || v.reason() != Verdict.Reason.RULE_SET) {
                return null;
            }
            List<Map<Integer, List<Integer>>> sets = origins.get(d.arch());
            RuleSet set = partOf(d.arch()).policy().ruleSets().get(v.ruleSet());
            int nr = set.syscalls().get(v.syscall()).nr();
            List<Integer> entries = sets.get(v.ruleSet()).get(nr);
            return "syscalls[" + entries.get(Math.max(0, v.rule())) + "]";
        }

        private MultiArchPolicy.Part partOf(String arch) {
            return policy.parts().stream().filter(p -> p.table().arch().equals(arch)).findFirst().orElseThrow();
        }
    }

    /**
     * Resolves {@code profile}.
     *
     * @param tables the syscall tables by Tether arch name
     * @throws IllegalArgumentException naming what is wrong (an unknown action or arch, a conflict,
     *     with {@code strict} an unknown name)
     */
    public static Resolution resolve(OciProfile profile, Options options, Map<String, SyscallTable> tables) {
        List<String> warnings = new ArrayList<>();
        String nat = options.nativeArch();
        if (!SCMP_ARCH.containsKey(nat)) {
            throw new IllegalArgumentException("unknown native arch " + Json.quoted(nat) + " (expected one of "
                    + new TreeSet<>(SCMP_ARCH.keySet()) + ")");
        }
        Action defaultAction = action(profile.defaultAction(), profile.defaultErrnoRet(), "defaultAction");
        if (defaultAction.actionPart() == Action.RET_USER_NOTIF) {
            throw new IllegalArgumentException("defaultAction SCMP_ACT_NOTIFY: runc refuses it as the default action");
        }
        Set<String> arches = new LinkedHashSet<>();
        if (!options.arches().isEmpty()) {
            arches.addAll(options.arches());
        } else {
            arches.add(nat);
            List<String> listed = profile.architectures();
            for (OciProfile.ArchMap m : profile.archMap()) {
                if (m.architecture().equals(SCMP_ARCH.get(nat))) {
                    listed = new ArrayList<>(List.of(m.architecture()));
                    listed.addAll(m.subArchitectures());
                    break;
                }
            }
            for (String scmp : listed) {
                String name = SCMP_ARCH.entrySet().stream().filter(e -> e.getValue().equals(scmp)).map(Map.Entry::getKey).findFirst()
                        .orElse(null);
                if (name == null) {
                    String msg = "no syscall table for " + scmp + ": left out of the filter (its calls get the bad-arch action)";
                    if (options.strict()) {
                        throw new IllegalArgumentException(msg);
                    }
                    warnings.add(msg);
                } else {
                    arches.add(name);
                }
            }
        }
        // entries that survive includes/excludes, and whose action is not the default
        List<OciProfile.Entry> kept = new ArrayList<>();
        Map<Integer, Action> actions = new LinkedHashMap<>();
        for (OciProfile.Entry e : profile.syscalls()) {
            Action a = action(e.action(), e.errnoRet(), e.where() + ".action");
            if (!applies(e, options) || a.equals(defaultAction)) {
                continue;
            }
            kept.add(e);
            actions.put(e.index(), a);
        }
        List<MultiArchPolicy.Part> parts = new ArrayList<>();
        Map<String, List<Map<Integer, List<Integer>>>> origins = new LinkedHashMap<>();
        for (String arch : arches) {
            SyscallTable table = tables.get(arch);
            if (table == null) {
                throw new IllegalArgumentException("no syscall table for arch " + Json.quoted(arch) + " (have " + new TreeSet<>(tables.keySet()) + ")");
            }
            PerArch pa = new PerArch(table, defaultAction);
            Set<String> unknown = new TreeSet<>();
            for (OciProfile.Entry e : kept) {
                pa.add(e, actions.get(e.index()), unknown);
            }
            if (!unknown.isEmpty()) {
                String msg = "syscalls unknown on " + arch + " (" + table.source() + "), dropped: " + String.join(", ", unknown);
                if (options.strict()) {
                    throw new IllegalArgumentException(msg);
                }
                warnings.add(msg);
            }
            parts.add(new MultiArchPolicy.Part(table, pa.policy()));
            origins.put(arch, pa.origins);
        }
        return new Resolution(new MultiArchPolicy(parts, Action.KILL_THREAD), warnings, origins);
    }

    /** moby's includes/excludes test. */
    static boolean applies(OciProfile.Entry e, Options o) {
        OciProfile.Filter ex = e.excludes();
        if (ex.arches().contains(o.nativeArch()) || ex.caps().stream().anyMatch(o.caps()::contains)
                || ex.minKernel() != null && o.kernel().compareTo(KernelVersion.parse(ex.minKernel())) >= 0) {
            return false;
        }
        OciProfile.Filter in = e.includes();
        return (in.arches().isEmpty() || in.arches().contains(o.nativeArch())) && o.caps().containsAll(in.caps())
                && (in.minKernel() == null || o.kernel().compareTo(KernelVersion.parse(in.minKernel())) >= 0);
    }

    /**
     * runc's getAction: SCMP_ACT_* to a seccomp return value.
     *
     * @throws IllegalArgumentException naming the action and where it is
     */
    static Action action(String name, Integer errnoRet, String where) {
        // EPERM = 1 (include/uapi/asm-generic/errno-base.h): runc's actErrno and actTrace
        int data = errnoRet == null ? 1 : errnoRet;
        switch (name) {
            case "SCMP_ACT_KILL": case "SCMP_ACT_KILL_THREAD": return Action.KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS": return Action.KILL_PROCESS;
            case "SCMP_ACT_TRAP": return Action.TRAP;
            case "SCMP_ACT_ERRNO": return Action.errno(data);
            case "SCMP_ACT_TRACE": return Action.trace(data);
            case "SCMP_ACT_ALLOW": return Action.ALLOW;
            case "SCMP_ACT_LOG": return Action.LOG;
            case "SCMP_ACT_NOTIFY": return Action.raw(Action.RET_USER_NOTIF);
            default:
                throw new IllegalArgumentException(where + ": unknown action " + Json.quoted(name)
                        + " (expected SCMP_ACT_KILL, _KILL_THREAD, _KILL_PROCESS, _TRAP, _ERRNO, _TRACE, _ALLOW, _LOG or _NOTIFY)");
        }
    }

    /** One arch's rules as they are added. */
    private static final class PerArch {
        final SyscallTable table;
        final Action defaultAction;
        /** nr -> contributions, in entry order. */
        final Map<Integer, List<Contribution>> byNr = new LinkedHashMap<>();
        final List<Map<Integer, List<Integer>>> origins = new ArrayList<>();

        PerArch(SyscallTable table, Action defaultAction) {
            this.table = table;
            this.defaultAction = defaultAction;
        }

        void add(OciProfile.Entry e, Action action, Set<String> unknown) {
            List<Rule> rules = rules(e, table.argumentBits() == 32);
            for (String name : e.names()) {
                java.util.OptionalInt nr = table.number(name);
                if (nr.isEmpty()) {
                    unknown.add(name);
                    continue;
                }
                if (rules != null && rules.isEmpty()) {
                    continue; // every rule can never hold
                }
                byNr.computeIfAbsent(nr.getAsInt(), k -> new ArrayList<>()).add(new Contribution(e, action, rules));
            }
        }

        Policy policy() {
            Map<Action, Map<Integer, SyscallRule>> sets = new LinkedHashMap<>();
            Map<Action, Map<Integer, List<Integer>>> from = new LinkedHashMap<>();
            for (Map.Entry<Integer, List<Contribution>> g : byNr.entrySet()) {
                int nr = g.getKey();
                List<Contribution> cs = g.getValue();
                for (int i = 0; i < cs.size(); i++) {
                    for (int j = i + 1; j < cs.size(); j++) {
                        Contribution a = cs.get(i);
                        Contribution b = cs.get(j);
                        if (!a.action.equals(b.action) && !Disjoint.rules(a.rules, b.rules)) {
                            throw new IllegalArgumentException("syscall " + table.name(nr).orElse("#" + nr) + " on " + table.arch() + ": "
                                    + a.entry.where() + " (" + a.entry.action() + ", " + a.action + ") and " + b.entry.where() + " ("
                                    + b.entry.action() + ", " + b.action + ") give it different actions, and their argument conditions"
                                    + " can hold together");
                        }
                    }
                }
                Map<Action, List<Contribution>> perAction = new LinkedHashMap<>();
                for (Contribution c : cs) {
                    perAction.computeIfAbsent(c.action, k -> new ArrayList<>()).add(c);
                }
                for (Map.Entry<Action, List<Contribution>> pa : perAction.entrySet()) {
                    List<Rule> rules = new ArrayList<>();
                    List<Integer> entries = new ArrayList<>();
                    Integer matchAll = null;
                    for (Contribution c : pa.getValue()) {
                        if (c.rules == null) {
                            matchAll = matchAll == null ? c.entry.index() : matchAll;
                        } else {
                            for (Rule r : c.rules) {
                                if (!rules.contains(r)) {
                                    rules.add(r);
                                    entries.add(c.entry.index());
                                }
                            }
                        }
                    }
                    SyscallRule s = matchAll != null ? SyscallRule.any(nr) : new SyscallRule(nr, false, rules);
                    sets.computeIfAbsent(pa.getKey(), k -> new LinkedHashMap<>()).put(nr, s);
                    from.computeIfAbsent(pa.getKey(), k -> new LinkedHashMap<>()).put(nr, matchAll != null ? List.of(matchAll) : entries);
                }
            }
            List<RuleSet> ruleSets = new ArrayList<>();
            for (Map.Entry<Action, Map<Integer, SyscallRule>> s : sets.entrySet()) {
                ruleSets.add(new RuleSet(s.getKey(), false, new ArrayList<>(s.getValue().values())));
                origins.add(from.get(s.getKey()));
            }
            return new Policy(defaultAction, Action.KILL_THREAD, ruleSets);
        }
    }

    /** What one entry says about one syscall: its action, and its rules (null: any arguments). */
    private record Contribution(OciProfile.Entry entry, Action action, List<Rule> rules) {
    }

    /**
     * The rules of an entry as runc adds them: null for no args; one AND-rule, or one rule per
     * comparison when an index repeats. Rules that can never hold are left out.
     */
    static List<Rule> rules(OciProfile.Entry e, boolean args32) {
        if (e.args().isEmpty()) {
            return null;
        }
        int[] count = new int[Rule.MAX_ARGS];
        for (OciProfile.Arg a : e.args()) {
            count[a.index()]++;
        }
        boolean repeated = java.util.Arrays.stream(count).anyMatch(c -> c > 1);
        List<Rule> out = new ArrayList<>();
        if (repeated) {
            for (OciProfile.Arg a : e.args()) {
                Matcher[] m = new Matcher[Rule.MAX_ARGS];
                m[a.index()] = matcher(a, args32);
                if (m[a.index()] != null) {
                    out.add(Rule.of(m));
                }
            }
        } else {
            Matcher[] m = new Matcher[Rule.MAX_ARGS];
            for (OciProfile.Arg a : e.args()) {
                m[a.index()] = matcher(a, args32);
                if (m[a.index()] == null) {
                    return List.of();
                }
            }
            out.add(Rule.of(m));
        }
        return out;
    }

    /** One comparison; null when it can never hold ({@code < 0}). */
    static Matcher matcher(OciProfile.Arg a, boolean args32) {
        long cut = args32 ? 0xffffffffL : -1L;
        long v = a.value() & cut;
        switch (a.op()) {
            case "SCMP_CMP_EQ": return Matcher.eq(v);
            case "SCMP_CMP_NE": return Matcher.ne(v);
            case "SCMP_CMP_GT": return Long.compareUnsigned(v, cut) >= 0 ? null : Matcher.gt(v);
            case "SCMP_CMP_GE": return Matcher.ge(v);
            case "SCMP_CMP_LT": return v == 0 ? null : Matcher.lt(v);
            case "SCMP_CMP_LE": return Matcher.le(v);
            case "SCMP_CMP_MASKED_EQ": return Matcher.maskedEq(v, a.valueTwo() & v);
            default: throw new IllegalArgumentException("unknown operator " + Json.quoted(a.op()));
        }
    }
}
