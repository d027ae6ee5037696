package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link Policy} as an OCI runtime-spec {@code linux.seccomp} profile, for users who go
 * from a Tether rule file to runc, Docker or Podman. An OCI profile has no order between entries,
 * so a policy is written only when reading it back ({@link OciResolver}) gives the same verdicts:
 * no vsyscall rule sets, no instruction-pointer tests, and no syscall that two rule sets give
 * different actions unless their conditions are {@link Disjoint} or the earlier set matches all
 * arguments (then the later ones are never reached and are left out). Otherwise a typed
 * {@link IllegalArgumentException} names the rule sets. What OCI cannot say is returned as
 * warnings: the bad-arch action (runc's is always kill_thread) and x32 left to the rules.
 */
public final class OciExport {
    private OciExport() {
    }

    /** The profile text and what it could not carry. */
    public record Result(String json, List<String> warnings) {
    }

    /**
     * Writes {@code policy} for {@code table}'s architecture.
     *
     * @throws IllegalArgumentException when the policy's verdicts cannot be expressed
     */
    public static Result write(Policy policy, SyscallTable table) {
        String scmp = OciResolver.SCMP_ARCH.get(table.arch());
        if (scmp == null) {
            throw new IllegalArgumentException("no SCMP_ARCH_* name for arch " + table.arch());
        }
        List<String> warnings = new ArrayList<>();
        if (!policy.badArchAction().equals(Action.KILL_THREAD)) {
            warnings.add("badArchAction " + policy.badArchAction() + " is not written: OCI profiles have none, runc's is kill_thread");
        }
        if (table.foreignAbi().isPresent() && policy.foreignAbiSyscalls() == ForeignAbiSyscalls.RULE_SETS) {
            warnings.add(table.foreignAbi().get().name() + " syscalls left to the rules are not written: runc gives them the bad-arch action");
        }
        // nr -> (action -> rules or null for any), checking each later set against the earlier ones
        Map<Integer, Map<Action, List<Rule>>> per = new LinkedHashMap<>();
        Map<Integer, Integer> firstSet = new LinkedHashMap<>();
        for (int i = 0; i < policy.ruleSets().size(); i++) {
            RuleSet set = policy.ruleSets().get(i);
            if (set.vsyscall()) {
                throw new IllegalArgumentException("ruleSets[" + i + "] is vsyscall: an OCI profile cannot test the instruction pointer");
            }
            for (SyscallRule s : set.syscalls()) {
                String name = table.name(s.nr()).orElseThrow(() -> new IllegalArgumentException(
                        "syscall number " + s.nr() + " has no name on " + table.arch() + ": an OCI profile names syscalls"));
                List<Rule> rules = s.matchAll() ? null : s.anyOf();
                if (rules != null) {
                    for (Rule r : rules) {
                        if (!(r.ip() instanceof Matcher.Any)) {
                            throw new IllegalArgumentException("ruleSets[" + i + "] " + name + ": an OCI profile cannot test the instruction pointer");
                        }
                    }
                }
                Map<Action, List<Rule>> m = per.computeIfAbsent(s.nr(), k -> new LinkedHashMap<>());
                if (m.containsKey(set.action()) && m.get(set.action()) == null) {
                    continue; // an earlier set with this action already matches all
                }
                boolean shadowed = false;
                for (Map.Entry<Action, List<Rule>> e : m.entrySet()) {
                    if (e.getValue() == null) {
                        shadowed = true; // an earlier set matches all arguments: never reached
                    } else if (!e.getKey().equals(set.action()) && !Disjoint.rules(e.getValue(), rules)) {
                        throw new IllegalArgumentException("syscall " + name + ": ruleSets[" + firstSet.get(s.nr()) + "] (" + e.getKey()
                                + ") and ruleSets[" + i + "] (" + set.action() + ") overlap, and an OCI profile has no order between entries");
                    }
                }
                if (shadowed) {
                    continue;
                }
                firstSet.putIfAbsent(s.nr(), i);
                if (rules == null || !m.containsKey(set.action())) {
                    m.put(set.action(), rules == null ? null : new ArrayList<>(rules));
                } else {
                    m.get(set.action()).addAll(rules);
                }
            }
        }
        // group: one entry per (action, rule), names listed together
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Map<String, String> bodies = new LinkedHashMap<>();
        for (Map.Entry<Integer, Map<Action, List<Rule>>> e : per.entrySet()) {
            String name = table.name(e.getKey()).orElseThrow();
            for (Map.Entry<Action, List<Rule>> a : e.getValue().entrySet()) {
                if (a.getKey().equals(policy.defaultAction())) {
                    continue; // runc skips them too
                }
                List<String> argLists = new ArrayList<>();
                if (a.getValue() == null) {
                    argLists.add("");
                } else {
                    for (Rule r : a.getValue()) {
                        String args = args(r);
                        if (args != null) {
                            argLists.add(args);
                        }
                    }
                }
                for (String args : argLists) {
                    String key = action(a.getKey()) + args;
                    entries.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
                    bodies.put(key, action(a.getKey()) + (args.isEmpty() ? "" : ",\n      \"args\": [" + args + "\n      ]"));
                }
            }
        }
        StringBuilder sb = new StringBuilder("{\n  \"defaultAction\": ").append(actionName(policy.defaultAction()));
        if (hasErrno(policy.defaultAction())) {
            sb.append(",\n  \"defaultErrnoRet\": ").append(policy.defaultAction().data());
        }
        sb.append(",\n  \"architectures\": [\"").append(scmp).append("\"],\n  \"syscalls\": [");
        String sep = "";
        for (Map.Entry<String, List<String>> e : entries.entrySet()) {
            sb.append(sep).append("\n    {\n      \"names\": [");
            String ns = "";
            for (String n : e.getValue()) {
                sb.append(ns).append('"').append(n).append('"');
                ns = ", ";
            }
            sb.append("],\n      ").append(bodies.get(e.getKey())).append("\n    }");
            sep = ",";
        }
        sb.append("\n  ]\n}\n");
        return new Result(sb.toString(), warnings);
    }

    private static String action(Action a) {
        return "\"action\": " + actionName(a) + (hasErrno(a) ? ",\n      \"errnoRet\": " + a.data() : "");
    }

    private static boolean hasErrno(Action a) {
        return a.actionPart() == Action.RET_ERRNO || a.actionPart() == Action.RET_TRACE;
    }

    private static String actionName(Action a) {
        switch (a.actionPart()) {
            case Action.RET_ALLOW: return "\"SCMP_ACT_ALLOW\"";
            case Action.RET_KILL_THREAD: return "\"SCMP_ACT_KILL_THREAD\"";
            case Action.RET_KILL_PROCESS: return "\"SCMP_ACT_KILL_PROCESS\"";
            case Action.RET_TRAP: return "\"SCMP_ACT_TRAP\"";
            case Action.RET_ERRNO: return "\"SCMP_ACT_ERRNO\"";
            case Action.RET_TRACE: return "\"SCMP_ACT_TRACE\"";
            case Action.RET_LOG: return "\"SCMP_ACT_LOG\"";
            case Action.RET_USER_NOTIF: return "\"SCMP_ACT_NOTIFY\"";
            default: throw new IllegalArgumentException("action " + a + " has no SCMP_ACT_* name");
        }
    }

    /** The args of one rule (AND); null when it can never hold. */
    private static String args(Rule r) {
        StringBuilder sb = new StringBuilder();
        String sep = "";
        for (int i = 0; i < Rule.MAX_ARGS; i++) {
            Matcher m = r.args().get(i);
            String op;
            long v;
            long two = 0;
            if (m instanceof Matcher.Any) {
                continue;
            } else if (m instanceof Matcher.Eq e) {
                op = "SCMP_CMP_EQ"; v = e.value();
            } else if (m instanceof Matcher.Ne e) {
                op = "SCMP_CMP_NE"; v = e.value();
            } else if (m instanceof Matcher.Gt e) {
                op = "SCMP_CMP_GT"; v = e.value();
            } else if (m instanceof Matcher.Ge e) {
                op = "SCMP_CMP_GE"; v = e.value();
            } else if (m instanceof Matcher.Lt e) {
                op = "SCMP_CMP_LT"; v = e.value();
            } else if (m instanceof Matcher.Le e) {
                op = "SCMP_CMP_LE"; v = e.value();
            } else {
                Matcher.MaskedEq me = (Matcher.MaskedEq) m;
                if ((me.value() & ~me.mask()) != 0) {
                    return null; // never holds; libseccomp would mask the value and make it hold
                }
                op = "SCMP_CMP_MASKED_EQ"; v = me.mask(); two = me.value();
            }
            sb.append(sep).append("\n        {\"index\": ").append(i).append(", \"value\": ").append(Long.toUnsignedString(v))
                    .append(", \"valueTwo\": ").append(Long.toUnsignedString(two)).append(", \"op\": \"").append(op).append("\"}");
            sep = ",";
        }
        return sb.toString();
    }
}
