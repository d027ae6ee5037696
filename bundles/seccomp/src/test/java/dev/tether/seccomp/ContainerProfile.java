package dev.tether.seccomp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A minimal reader of OCI/Docker seccomp profiles for the compiler's benchmark and the
 * libseccomp comparison: just enough of the format to resolve Docker's and Podman's default
 * profiles for one arch (test code; the product's OCI reader is another piece of work). It
 * follows Docker 20.10's resolution (profiles/seccomp/seccomp_linux.go, {@code setupSeccomp}): an
 * entry applies when {@code includes.arches} (if any) names the arch, {@code excludes.arches} does
 * not, every {@code includes.caps} is held, no {@code excludes.caps} is, and the kernel is at least
 * {@code includes.minKernel} and below {@code excludes.minKernel}. Then as runc does (libcontainer/seccomp/seccomp_linux.go): names
 * libseccomp does not know on the arch are dropped, an entry whose action is the default action
 * adds nothing, and conditions on the same argument index become separate (OR-ed) rules.
 */
final class ContainerProfile {
    /** One applicable entry for one syscall: its action and AND-ed conditions (empty: any arguments). */
    record Entry(String name, int nr, Action action, List<Cond> conds) {
    }

    /** One OCI {@code args} item. */
    record Cond(int index, String op, long value, long valueTwo) {
    }

    /** A profile resolved for one arch. */
    record Resolved(String source, int auditArch, Action defaultAction, List<Entry> entries, Set<String> dropped) {
        /** The same rules for Tether: one rule set per action, in the order the actions first appear. */
        Policy policy() {
            Map<Action, Map<Integer, List<Rule>>> byAction = new LinkedHashMap<>();
            Map<Integer, Action> actionOf = new LinkedHashMap<>();
            for (Entry e : entries) {
                Action other = actionOf.putIfAbsent(e.nr(), e.action());
                if (other != null && !other.equals(e.action()) && matchAll(e.nr(), other)) {
                    continue; // an earlier entry decides every call: the later one is never reached
                }
                List<Rule> rules = byAction.computeIfAbsent(e.action(), a -> new LinkedHashMap<>())
                        .computeIfAbsent(e.nr(), n -> new ArrayList<>());
                rules.add(e.conds().isEmpty() ? null : rule(e.conds()));
            }
            List<RuleSet> sets = new ArrayList<>();
            for (Map.Entry<Action, Map<Integer, List<Rule>>> a : byAction.entrySet()) {
                List<SyscallRule> syscalls = new ArrayList<>();
                for (Map.Entry<Integer, List<Rule>> s : a.getValue().entrySet()) {
                    syscalls.add(s.getValue().contains(null) ? SyscallRule.any(s.getKey())
                            : new SyscallRule(s.getKey(), false, s.getValue()));
                }
                sets.add(new RuleSet(a.getKey(), false, syscalls));
            }
            // libseccomp's default bad-arch action, SCMP_ACT_KILL (seccomp_init(3)); runc keeps it
            return new Policy(defaultAction, Action.KILL_THREAD, sets);
        }

        private boolean matchAll(int nr, Action action) {
            return entries.stream().anyMatch(e -> e.nr() == nr && e.action().equals(action) && e.conds().isEmpty());
        }

        /** The same rules for libseccomp. */
        List<LibSeccomp.Rule> libseccompRules() {
            List<LibSeccomp.Rule> out = new ArrayList<>();
            for (Entry e : entries) {
                List<LibSeccomp.ArgCond> conds = new ArrayList<>();
                for (Cond c : e.conds()) {
                    conds.add(switch (c.op()) {
                        case "SCMP_CMP_MASKED_EQ" -> new LibSeccomp.ArgCond(c.index(), LibSeccomp.SCMP_CMP_MASKED_EQ, c.value(), c.valueTwo());
                        default -> new LibSeccomp.ArgCond(c.index(), opCode(c.op()), c.value(), 0);
                    });
                }
                out.add(new LibSeccomp.Rule(e.name(), e.action().value(), conds));
            }
            return out;
        }

        /** The syscall numbers this resolution allows or denies explicitly. */
        Set<Integer> listed() {
            Set<Integer> s = new TreeSet<>();
            entries.forEach(e -> s.add(e.nr()));
            return s;
        }
    }

    private static Rule rule(List<Cond> conds) {
        Matcher[] m = new Matcher[Rule.MAX_ARGS];
        for (Cond c : conds) {
            if (m[c.index()] != null) {
                throw new IllegalStateException("two conditions on argument " + c.index() + " in one rule");
            }
            m[c.index()] = switch (c.op()) {
                case "SCMP_CMP_EQ" -> Matcher.eq(c.value());
                case "SCMP_CMP_NE" -> Matcher.ne(c.value());
                case "SCMP_CMP_LT" -> Matcher.lt(c.value());
                case "SCMP_CMP_LE" -> Matcher.le(c.value());
                case "SCMP_CMP_GT" -> Matcher.gt(c.value());
                case "SCMP_CMP_GE" -> Matcher.ge(c.value());
                case "SCMP_CMP_MASKED_EQ" -> Matcher.maskedEq(c.value(), c.valueTwo()); // OCI: value is the mask
                default -> throw new IllegalArgumentException("unknown op " + c.op());
            };
        }
        return Rule.of(m);
    }

    private static int opCode(String op) {
        return switch (op) {
            case "SCMP_CMP_EQ" -> LibSeccomp.SCMP_CMP_EQ;
            case "SCMP_CMP_NE" -> LibSeccomp.SCMP_CMP_NE;
            case "SCMP_CMP_LT" -> LibSeccomp.SCMP_CMP_LT;
            case "SCMP_CMP_LE" -> LibSeccomp.SCMP_CMP_LE;
            case "SCMP_CMP_GT" -> LibSeccomp.SCMP_CMP_GT;
            case "SCMP_CMP_GE" -> LibSeccomp.SCMP_CMP_GE;
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
    }

    private final String source;
    private final Json.Obj root;

    private ContainerProfile(String source, Json.Obj root) {
        this.source = source;
        this.root = root;
    }

    static ContainerProfile read(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    static ContainerProfile parse(String source, String text) {
        if (!(Json.parse(text) instanceof Json.Obj o)) {
            throw new IllegalArgumentException(source + ": not a JSON object");
        }
        return new ContainerProfile(source, o);
    }

    /**
     * Resolves the profile for {@code goArch} (Go's name, as {@code includes.arches} spells it:
     * {@code amd64}, {@code arm64}), {@code caps} and kernel {@code major.minor}; numbers come
     * from libseccomp's table for {@code auditArch}, as runc gets them.
     */
    Resolved resolve(String goArch, int auditArch, Set<String> caps, int[] kernel) {
        Action def = action(str(root, "defaultAction"), root.members.containsKey("defaultErrnoRet") ? num(root, "defaultErrnoRet") : 1);
        List<Entry> entries = new ArrayList<>();
        Set<String> dropped = new TreeSet<>();
        for (Json.Value v : ((Json.Arr) root.members.get("syscalls").value).items) {
            Json.Obj s = (Json.Obj) v;
            if (!applies(s, goArch, caps, kernel)) {
                continue;
            }
            Action a = action(str(s, "action"), s.members.containsKey("errnoRet") ? num(s, "errnoRet") : 1);
            if (a.equals(def)) {
                continue; // runc: a rule with the default action changes nothing (libseccomp refuses it)
            }
            List<Cond> conds = new ArrayList<>();
            Json.Member args = s.members.get("args");
            if (args != null && args.value instanceof Json.Arr arr) {
                for (Json.Value c : arr.items) {
                    Json.Obj co = (Json.Obj) c;
                    conds.add(new Cond((int) num(co, "index"), str(co, "op"), num(co, "value"),
                            co.members.containsKey("valueTwo") ? num(co, "valueTwo") : 0));
                }
            }
            List<List<Cond>> rules = new ArrayList<>();
            if (conds.stream().map(Cond::index).distinct().count() < conds.size()) {
                conds.forEach(c -> rules.add(List.of(c))); // runc: one rule per condition then
            } else {
                rules.add(conds);
            }
            for (Json.Value n : ((Json.Arr) s.members.get("names").value).items) {
                String name = ((Json.Str) n).value;
                var nr = LibSeccomp.resolve(auditArch, name);
                if (nr.isEmpty()) {
                    dropped.add(name);
                    continue;
                }
                for (List<Cond> r : rules) {
                    entries.add(new Entry(name, nr.get(), a, r));
                }
            }
        }
        return new Resolved(source, auditArch, def, entries, dropped);
    }

    private static boolean applies(Json.Obj s, String arch, Set<String> caps, int[] kernel) {
        Json.Obj inc = obj(s, "includes");
        Json.Obj exc = obj(s, "excludes");
        List<String> incArches = strings(inc, "arches");
        if (!incArches.isEmpty() && !incArches.contains(arch)) {
            return false;
        }
        if (strings(exc, "arches").contains(arch)) {
            return false;
        }
        if (!caps.containsAll(strings(inc, "caps"))) {
            return false;
        }
        if (strings(exc, "caps").stream().anyMatch(caps::contains)) {
            return false;
        }
        if (inc != null && inc.members.get("minKernel") != null && !atLeast(kernel, str(inc, "minKernel"))) {
            return false;
        }
        return exc == null || exc.members.get("minKernel") == null || !atLeast(kernel, str(exc, "minKernel"));
    }

    /** Whether {@code kernel} (major, minor) is at least {@code version} ("major.minor"). */
    private static boolean atLeast(int[] kernel, String version) {
        String[] mk = version.split("\\.");
        int major = Integer.parseInt(mk[0]);
        int minor = mk.length > 1 ? Integer.parseInt(mk[1]) : 0;
        return kernel[0] > major || (kernel[0] == major && kernel[1] >= minor);
    }

    /** OCI action names (runtime-spec config-linux.md, "seccomp"). */
    private static Action action(String name, long errno) {
        return switch (name) {
            case "SCMP_ACT_ALLOW" -> Action.ALLOW;
            case "SCMP_ACT_ERRNO" -> Action.errno((int) errno);
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> Action.KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> Action.KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> Action.TRAP;
            case "SCMP_ACT_LOG" -> Action.LOG;
            default -> throw new IllegalArgumentException("action " + name + " is not handled by this test reader");
        };
    }

    private static Json.Obj obj(Json.Obj o, String key) {
        Json.Member m = o.members.get(key);
        return m != null && m.value instanceof Json.Obj r ? r : null;
    }

    private static List<String> strings(Json.Obj o, String key) {
        List<String> out = new ArrayList<>();
        if (o != null && o.members.get(key) != null && o.members.get(key).value instanceof Json.Arr a) {
            a.items.forEach(v -> out.add(((Json.Str) v).value));
        }
        return out;
    }

    private static String str(Json.Obj o, String key) {
        return ((Json.Str) o.members.get(key).value).value;
    }

    private static long num(Json.Obj o, String key) {
        return Long.parseUnsignedLong(((Json.Num) o.members.get(key).value).text);
    }
}
