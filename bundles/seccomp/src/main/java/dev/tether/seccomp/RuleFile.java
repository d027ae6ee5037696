package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The JSON rule-file format: reading ({@link #parse}) and writing ({@link #write}).
 *
 * <pre>
 * { "defaultAction": ACTION, "badArchAction": ACTION,        // badArchAction optional: kill_process
 *   "x32": "badArchAction" | "ruleSets",                     // amd64 only; optional: badArchAction
 *   "ruleSets": [ { "action": ACTION, "vsyscall": false,      // vsyscall optional: false
 *       "syscalls": [ {"name": "mmap"}  |  {"nr": 9}          // no anyOf = any arguments; nr: V
 *                   | {"name": "clone", "anyOf": [ {"args": [M, M, ...up to 6], "ip": M}, ... ]} ] } ] }
 * M      = null | {"any": true} | {"eq": V} | {"ne": V} | {"gt": V} | {"ge": V} | {"lt": V} | {"le": V}
 *        | {"maskedEq": V, "mask": V}                         // missing/null argument = any
 * V      = a JSON integer, or a string "0x..." / decimal, 0 .. 2^64-1
 * ACTION = "allow" | "kill_thread" | "kill_process" | "trap" | "log" | "errno:N" | "trace:N" | "0x..." (raw)
 * </pre>
 *
 * Numbers are written with ASCII digits only, without a sign: {@code "0x"} (or {@code "0X"}) then
 * hex digits, or decimal digits; {@code N} in an action is decimal digits.
 *
 * <p>{@code "x32"} is the key of the table's {@link ForeignAbi} (x32 on amd64; arm64 has none, and
 * the key is unknown there): {@code "badArchAction"} (the default) gives every syscall number from
 * 0x40000000 up, but -1, the bad-arch action before any rule is asked, as libseccomp does;
 * {@code "ruleSets"} treats x32 as an arch of its own whose numbers the rule sets decide like any
 * other (list them by {@code "nr"}). With the default, listing such a number is an error: no rule
 * would ever be asked about it.
 *
 * <p>Everything else is an error: unknown keys, duplicate keys, a syscall listed twice in one rule
 * set, an empty {@code anyOf} (leave it out for "any arguments"), more than six arguments, values
 * outside 0..2^64-1, syscall names the table does not know (a name another arch's table knows
 * is said to be on that arch), numbers outside 0..2^31-1 (the
 * {@code int nr} of {@code struct seccomp_data}), arrays and objects nested more than
 * {@value #MAX_DEPTH} deep, a text longer than {@value #MAX_INPUT_CHARS} characters. Every error
 * is a {@link RuleFileException} naming the JSON path and line and column; it quotes at most 80
 * characters of an offending value.
 */
public final class RuleFile {
    /**
     * The most a rule file may hold, 4 MiB: as characters for {@link #parse}, as bytes for the
     * {@code tether seccomp} commands that read one. The stub's own policy is about 4 KB.
     */
    public static final int MAX_INPUT_CHARS = 4 << 20;
    /** How deep arrays and objects may nest in a rule file (the format itself needs 9 levels). */
    public static final int MAX_DEPTH = Json.MAX_DEPTH;
    private static final String U64_RANGE = "0..18446744073709551615 (2^64-1)";

    private RuleFile() {
    }

    /**
     * Reads a rule file.
     *
     * @param json the text
     * @param table the architecture's syscall names
     * @throws RuleFileException naming the place and the problem
     */
    public static Policy parse(String json, SyscallTable table) {
        return parse(json, table, List.of());
    }

    /**
     * Reads a rule file; a syscall name {@code table} does not know but one of {@code otherArches}
     * does is reported as "not on amd64 (it is on arm64)" rather than unknown.
     *
     * @param json the text
     * @param table the architecture's syscall names
     * @param otherArches the other architectures' tables, for error messages only
     * @throws RuleFileException naming the place and the problem
     */
    public static Policy parse(String json, SyscallTable table, Collection<SyscallTable> otherArches) {
        if (json.length() > MAX_INPUT_CHARS) {
            throw new RuleFileException("$", 1, 1, "a rule file of " + json.length() + " characters is larger than the limit of "
                    + MAX_INPUT_CHARS + " (4 MiB)");
        }
        Json.Value root = Json.parse(json);
        Json.Obj top = object(root);
        Optional<ForeignAbi> abi = table.foreignAbi();
        Set<String> keys = new HashSet<>(Set.of("defaultAction", "badArchAction", "ruleSets"));
        abi.ifPresent(a -> keys.add(a.name()));
        checkKeys(top, keys);
        Action defaultAction = action(required(top, "defaultAction"));
        Json.Member bad = top.members.get("badArchAction");
        Action badArch = bad == null ? Action.KILL_PROCESS : action(bad.value);
        ForeignAbiSyscalls foreign = ForeignAbiSyscalls.BAD_ARCH_ACTION;
        Json.Member choice = abi.isPresent() ? top.members.get(abi.get().name()) : null;
        if (choice != null) {
            if (!(choice.value instanceof Json.Str c)) {
                throw choice.value.error("expected \"" + ForeignAbiSyscalls.BAD_ARCH_ACTION.spelling() + "\" or \""
                        + ForeignAbiSyscalls.RULE_SETS.spelling() + "\" but found " + choice.value.typeName());
            }
            try {
                foreign = ForeignAbiSyscalls.parse(c.value);
            } catch (IllegalArgumentException e) {
                throw choice.value.error(e.getMessage());
            }
        }
        Syscalls names = new Syscalls(table, otherArches, foreign == ForeignAbiSyscalls.BAD_ARCH_ACTION ? abi : Optional.empty());
        Json.Arr sets = array(required(top, "ruleSets"));
        List<RuleSet> ruleSets = new ArrayList<>();
        for (Json.Value v : sets.items) {
            ruleSets.add(ruleSet(v, names));
        }
        return new Policy(defaultAction, badArch, ruleSets, foreign);
    }

    /** How syscalls are named and numbered in one file. */
    private record Syscalls(SyscallTable table, Collection<SyscallTable> others, Optional<ForeignAbi> guarded) {
    }

    private static RuleSet ruleSet(Json.Value v, Syscalls table) {
        Json.Obj o = object(v);
        checkKeys(o, Set.of("action", "vsyscall", "syscalls"));
        Action action = action(required(o, "action"));
        boolean vsyscall = false;
        Json.Member vs = o.members.get("vsyscall");
        if (vs != null) {
            if (!(vs.value instanceof Json.Bool b)) {
                throw vs.value.error("expected true or false but found " + vs.value.typeName());
            }
            vsyscall = b.value;
        }
        Json.Arr list = array(required(o, "syscalls"));
        List<SyscallRule> syscalls = new ArrayList<>();
        Map<Integer, Integer> seen = new HashMap<>();
        for (int i = 0; i < list.items.size(); i++) {
            Json.Value item = list.items.get(i);
            SyscallRule s = syscall(item, table);
            Integer first = seen.putIfAbsent(s.nr(), i);
            if (first != null) {
                throw item.error("syscall " + describe(s.nr(), table.table()) + " is already listed in this rule set (at "
                        + Json.item(list.path, first) + ")");
            }
            syscalls.add(s);
        }
        return new RuleSet(action, vsyscall, syscalls);
    }

    private static String describe(int nr, SyscallTable table) {
        Optional<String> name = table.name(nr);
        return name.isPresent() ? "\"" + name.get() + "\" (" + nr + ")" : String.valueOf(nr);
    }

    private static SyscallRule syscall(Json.Value v, Syscalls names) {
        SyscallTable table = names.table();
        Json.Obj o = object(v);
        checkKeys(o, Set.of("name", "nr", "anyOf"));
        Json.Member name = o.members.get("name");
        Json.Member nrm = o.members.get("nr");
        if (name != null && nrm != null) {
            throw o.error("give either \"name\" or \"nr\", not both");
        }
        if (name == null && nrm == null) {
            throw o.error("missing \"name\" (or \"nr\")");
        }
        int nr;
        if (name != null) {
            if (!(name.value instanceof Json.Str s)) {
                throw name.value.error("expected a syscall name (a string) but found " + name.value.typeName());
            }
            OptionalInt n = table.number(s.value);
            if (n.isEmpty()) {
                throw name.value.error(unknownName(s.value, table, names.others()));
            }
            nr = n.getAsInt();
        } else {
            if (!(nrm.value instanceof Json.Str) && !(nrm.value instanceof Json.Num num && num.isInteger())) {
                throw nrm.value.error("expected a syscall number (an integer or a \"0x...\" string) but found "
                        + describeValue(nrm.value));
            }
            // Digits are counted before they are parsed (valueOrNull), so a number of a million
            // digits is out of range without a parse.
            Long n = valueOrNull(nrm.value);
            if (n == null || n < 0 || n > Integer.MAX_VALUE) {
                throw nrm.value.error("syscall number " + shownValue(nrm.value) + " is out of range 0.." + Integer.MAX_VALUE);
            }
            nr = n.intValue();
            if (names.guarded().isPresent() && names.guarded().get().owns(nr)) {
                ForeignAbi abi = names.guarded().get();
                throw nrm.value.error("syscall number " + nr + " (0x" + Integer.toHexString(nr) + ") is an " + abi.name()
                        + " syscall, and " + abi.name() + " syscalls get the bad-arch action before any rule is asked; to have the"
                        + " rule sets decide them, set \"" + abi.name() + "\": \"" + ForeignAbiSyscalls.RULE_SETS.spelling() + "\"");
            }
        }
        Json.Member anyOf = o.members.get("anyOf");
        if (anyOf == null) {
            return SyscallRule.any(nr);
        }
        Json.Arr rules = array(anyOf.value);
        if (rules.items.isEmpty()) {
            throw rules.error("empty anyOf: a syscall needs at least one rule (leave anyOf out for any arguments)");
        }
        List<Rule> list = new ArrayList<>();
        for (Json.Value r : rules.items) {
            list.add(rule(r));
        }
        return new SyscallRule(nr, false, list);
    }

    private static Rule rule(Json.Value v) {
        Json.Obj o = object(v);
        checkKeys(o, Set.of("args", "ip"));
        List<Matcher> args = new ArrayList<>();
        Json.Member a = o.members.get("args");
        if (a != null) {
            Json.Arr arr = array(a.value);
            if (arr.items.size() > Rule.MAX_ARGS) {
                throw arr.error(arr.items.size() + " arguments, but a syscall has at most " + Rule.MAX_ARGS);
            }
            for (Json.Value m : arr.items) {
                args.add(matcher(m));
            }
        }
        Json.Member ip = o.members.get("ip");
        return new Rule(args, ip == null ? Matcher.any() : matcher(ip.value));
    }

    /** "unknown syscall", or "not on amd64 (it is on arm64)" when another arch's table knows the name. */
    private static String unknownName(String name, SyscallTable table, Collection<SyscallTable> others) {
        List<String> on = new ArrayList<>();
        for (SyscallTable o : others) {
            if (!o.arch().equals(table.arch()) && o.number(name).isPresent()) {
                on.add(o.arch());
            }
        }
        if (on.isEmpty()) {
            return "unknown syscall " + Json.quoted(name) + " on " + table.arch();
        }
        return "syscall " + Json.quoted(name) + " is not on " + table.arch() + " (it is on " + String.join(", ", on) + ")";
    }

    private static final Set<String> MATCHER_KEYS = Set.of("any", "eq", "ne", "gt", "ge", "lt", "le", "maskedEq", "mask");

    private static Matcher matcher(Json.Value v) {
        if (v instanceof Json.Null) {
            return Matcher.any();
        }
        Json.Obj o = object(v);
        checkKeys(o, MATCHER_KEYS);
        if (o.members.isEmpty()) {
            throw o.error("empty matcher: use null or {\"any\": true} for any value");
        }
        Json.Member mask = o.members.get("mask");
        Json.Member masked = o.members.get("maskedEq");
        if (mask != null && masked == null) {
            throw o.error("\"mask\" needs \"maskedEq\"");
        }
        if (masked != null && mask == null) {
            throw o.error("\"maskedEq\" needs \"mask\"");
        }
        int comparisons = o.members.size() - (mask != null ? 1 : 0);
        if (comparisons > 1) {
            throw o.error("a matcher has one comparison, found " + String.join(", ", o.members.keySet()));
        }
        Json.Member m = o.members.values().iterator().next();
        if (m == mask) {
            m = masked;
        }
        switch (m.key) {
            case "any":
                if (!(m.value instanceof Json.Bool b) || !b.value) {
                    throw m.value.error("\"any\" must be true");
                }
                return Matcher.any();
            case "eq": return Matcher.eq(value(m.value));
            case "ne": return Matcher.ne(value(m.value));
            case "gt": return Matcher.gt(value(m.value));
            case "ge": return Matcher.ge(value(m.value));
            case "lt": return Matcher.lt(value(m.value));
            case "le": return Matcher.le(value(m.value));
            default: return Matcher.maskedEq(value(mask.value), value(m.value));
        }
    }

    /**
     * A 64-bit value: integer or string (hex "0x..." or decimal), 0 .. 2^64-1, exact. The digits
     * are checked and counted before they are parsed: a value of a million digits is out of
     * range whatever its digits are, and parsing it (BigInteger is quadratic) would take minutes.
     */
    private static long value(Json.Value v) {
        Long value = valueOrNull(v);
        if (value == null) {
            throw v.error("value " + shownValue(v) + " is out of range " + U64_RANGE);
        }
        return value;
    }

    /** {@link #value}, but null when the number is well written and out of range (negative or above 2^64-1). */
    private static Long valueOrNull(Json.Value v) {
        if (v instanceof Json.Num n) {
            if (!n.isInteger()) {
                throw v.error("value " + Json.shown(n.text) + " is not an integer");
            }
            // JSON: -?[0-9]+ here, no leading zeros; "-0" is 0
            String t = n.text;
            boolean negative = t.startsWith("-");
            Long value = unsigned(negative ? t.substring(1) : t, 10);
            return value == null || (negative && value != 0) ? null : value;
        }
        if (!(v instanceof Json.Str s)) {
            throw v.error("expected a value (an integer or a \"0x...\" string) but found " + v.typeName());
        }
        String t = s.value;
        boolean hex = t.startsWith("0x") || t.startsWith("0X");
        String digits = hex ? t.substring(2) : t;
        if (digits.isEmpty() || !Json.allDigits(digits, hex ? 16 : 10)) {
            throw v.error("bad number " + Json.quoted(t) + " (expected decimal digits or 0x followed by hex digits)");
        }
        return unsigned(digits, hex ? 16 : 10);
    }

    /** A number as an error message shows it: a JSON integer as it is, a string quoted (both cut to 80 characters). */
    private static String shownValue(Json.Value v) {
        return v instanceof Json.Num n ? Json.shown(n.text) : Json.quoted(((Json.Str) v).value);
    }

    /**
     * Non-empty ASCII {@code digits} in {@code radix} 10 or 16 as an unsigned 64-bit value, or
     * null when they are above 2^64-1. Leading zeros do not count; more significant digits than
     * 2^64-1 has (20 decimal, 16 hex) are out of range without being parsed.
     */
    private static Long unsigned(String digits, int radix) {
        int first = 0;
        while (first < digits.length() - 1 && digits.charAt(first) == '0') {
            first++;
        }
        String significant = digits.substring(first);
        if (significant.length() > (radix == 16 ? 16 : 20)) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(significant, radix);
        } catch (NumberFormatException e) {
            return null; // 20 decimal digits above 18446744073709551615
        }
    }

    private static Action action(Json.Value v) {
        if (!(v instanceof Json.Str s)) {
            throw v.error("expected an action (a string) but found " + v.typeName());
        }
        try {
            return Action.parse(s.value);
        } catch (IllegalArgumentException e) {
            throw v.error(e.getMessage());
        }
    }

    private static String describeValue(Json.Value v) {
        return v instanceof Json.Num n ? Json.shown(n.text) : v.typeName();
    }

    private static Json.Obj object(Json.Value v) {
        if (!(v instanceof Json.Obj o)) {
            throw v.error("expected an object but found " + v.typeName());
        }
        return o;
    }

    private static Json.Arr array(Json.Value v) {
        if (!(v instanceof Json.Arr a)) {
            throw v.error("expected an array but found " + v.typeName());
        }
        return a;
    }

    private static Json.Value required(Json.Obj o, String key) {
        Json.Member m = o.members.get(key);
        if (m == null) {
            throw o.error("missing \"" + key + "\"");
        }
        return m.value;
    }

    private static void checkKeys(Json.Obj o, Set<String> allowed) {
        for (Json.Member m : o.members.values()) {
            if (!allowed.contains(m.key)) {
                throw new RuleFileException(Json.child(o.path, m.key), m.line, m.column,
                        "unknown key " + Json.quoted(m.key) + " (expected " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
    }

    /**
     * Writes {@code policy} as a rule file ({@link RuleFileWriter}): {@code parse(write(p), table)}
     * equals {@code p}.
     */
    public static String write(Policy policy, SyscallTable table) {
        return RuleFileWriter.write(policy, table);
    }
}
