package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The writing half of the rule-file format ({@link RuleFile} reads it): a policy as a rule file that
 * reads back as the same policy.
 */
final class RuleFileWriter {
    /** Values below this are written as JSON integers, larger ones as hex strings. */
    static final long WRITE_DECIMAL_BELOW = 256;

    private RuleFileWriter() {
    }

    /**
     * Writes {@code policy} as a rule file: two-space indentation, one syscall per line, names
     * where the table knows them, values below 256 as integers and others as hex strings, and
     * on an arch with a {@link ForeignAbi} its choice ({@code "x32": "badArchAction"}).
     * {@code parse(write(p), table)} equals {@code p} (on an arch without a foreign ABI, up to
     * {@link Policy#foreignAbiSyscalls()}, which does not matter there).
     *
     * @throws IllegalArgumentException if the policy lists a syscall number of the arch's foreign
     *         ABI while it gives them the bad-arch action: a rule file cannot say that (it is an
     *         error there, as no rule would ever be asked about the number)
     */
    static String write(Policy policy, SyscallTable table) {
        Optional<ForeignAbi> guarded = policy.guardedAbi(table);
        if (guarded.isPresent()) {
            for (RuleSet set : policy.ruleSets()) {
                for (SyscallRule s : set.syscalls()) {
                    if (guarded.get().owns(s.nr())) {
                        throw new IllegalArgumentException("the policy lists syscall " + s.nr() + " (0x" + Integer.toHexString(s.nr())
                                + "), an " + guarded.get().name() + " syscall, but gives " + guarded.get().name()
                                + " syscalls the bad-arch action: a rule file cannot say that");
                    }
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("{\n");
        sb.append("  \"defaultAction\": ").append(quote(policy.defaultAction().toString())).append(",\n");
        sb.append("  \"badArchAction\": ").append(quote(policy.badArchAction().toString())).append(",\n");
        Optional<ForeignAbi> abi = table.foreignAbi();
        if (abi.isPresent()) {
            sb.append("  ").append(quote(abi.get().name())).append(": ").append(quote(policy.foreignAbiSyscalls().spelling()))
                    .append(",\n");
        }
        sb.append("  \"ruleSets\": [");
        List<RuleSet> sets = policy.ruleSets();
        for (int i = 0; i < sets.size(); i++) {
            RuleSet set = sets.get(i);
            sb.append(i == 0 ? "\n" : ",\n");
            sb.append("    {\n");
            sb.append("      \"action\": ").append(quote(set.action().toString())).append(",\n");
            if (set.vsyscall()) {
                sb.append("      \"vsyscall\": true,\n");
            }
            sb.append("      \"syscalls\": [");
            List<SyscallRule> syscalls = set.syscalls();
            for (int j = 0; j < syscalls.size(); j++) {
                sb.append(j == 0 ? "\n" : ",\n");
                writeSyscall(sb, syscalls.get(j), table);
            }
            sb.append(syscalls.isEmpty() ? "]\n" : "\n      ]\n");
            sb.append("    }");
        }
        sb.append(sets.isEmpty() ? "]\n" : "\n  ]\n");
        sb.append("}\n");
        return sb.toString();
    }

    private static void writeSyscall(StringBuilder sb, SyscallRule s, SyscallTable table) {
        sb.append("        {");
        Optional<String> name = table.name(s.nr());
        if (name.isPresent() && table.number(name.get()).orElse(-1) == s.nr()) {
            sb.append("\"name\": ").append(quote(name.get()));
        } else {
            sb.append("\"nr\": ").append(s.nr());
        }
        if (!s.matchAll()) {
            sb.append(", \"anyOf\": [");
            for (int i = 0; i < s.anyOf().size(); i++) {
                sb.append(i == 0 ? "\n" : ",\n").append("          ");
                writeRule(sb, s.anyOf().get(i));
            }
            sb.append("\n        ]");
        }
        sb.append('}');
    }

    private static void writeRule(StringBuilder sb, Rule r) {
        int last = -1;
        for (int i = 0; i < Rule.MAX_ARGS; i++) {
            if (!(r.args().get(i) instanceof Matcher.Any)) {
                last = i;
            }
        }
        List<String> parts = new ArrayList<>();
        if (last >= 0) {
            StringBuilder a = new StringBuilder("\"args\": [");
            for (int i = 0; i <= last; i++) {
                a.append(i == 0 ? "" : ", ").append(matcherJson(r.args().get(i)));
            }
            parts.add(a.append(']').toString());
        }
        if (!(r.ip() instanceof Matcher.Any)) {
            parts.add("\"ip\": " + matcherJson(r.ip()));
        }
        sb.append('{').append(String.join(", ", parts)).append('}');
    }

    private static String matcherJson(Matcher m) {
        if (m instanceof Matcher.Any) {
            return "null";
        }
        if (m instanceof Matcher.Eq e) {
            return "{\"eq\": " + valueJson(e.value()) + "}";
        }
        if (m instanceof Matcher.Ne e) {
            return "{\"ne\": " + valueJson(e.value()) + "}";
        }
        if (m instanceof Matcher.Gt e) {
            return "{\"gt\": " + valueJson(e.value()) + "}";
        }
        if (m instanceof Matcher.Ge e) {
            return "{\"ge\": " + valueJson(e.value()) + "}";
        }
        if (m instanceof Matcher.Lt e) {
            return "{\"lt\": " + valueJson(e.value()) + "}";
        }
        if (m instanceof Matcher.Le e) {
            return "{\"le\": " + valueJson(e.value()) + "}";
        }
        Matcher.MaskedEq me = (Matcher.MaskedEq) m;
        return "{\"maskedEq\": " + valueJson(me.value()) + ", \"mask\": " + valueJson(me.mask()) + "}";
    }

    private static String valueJson(long v) {
        if (Long.compareUnsigned(v, WRITE_DECIMAL_BELOW) < 0) {
            return Long.toString(v);
        }
        return "\"0x" + Long.toHexString(v) + "\"";
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
