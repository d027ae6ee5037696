package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container seccomp profile as read: the OCI runtime-spec {@code linux.seccomp} object
 * (config-linux.md "Seccomp": {@code defaultAction}, {@code defaultErrnoRet},
 * {@code architectures}, {@code flags}, {@code listenerPath}, {@code listenerMetadata},
 * {@code syscalls[{names, action, errnoRet, args[{index, value, valueTwo, op}]}]}) plus the
 * fields Docker's and Podman's profile files add and resolve before runc sees them (moby's
 * profiles/seccomp/seccomp.go {@code Seccomp}, {@code Syscall}, {@code Filter}, {@code Architecture}:
 * {@code archMap}, {@code name}, {@code comment}, {@code includes}, {@code excludes}). Nothing
 * is resolved here; {@link OciResolver} does that. Values are kept as the file spells them.
 *
 * @param defaultAction e.g. {@code SCMP_ACT_ERRNO}
 * @param defaultErrnoRet the errno of an ERRNO or TRACE default action, or null
 * @param architectures {@code SCMP_ARCH_*} names, possibly empty
 * @param archMap Docker's per-native-arch lists, possibly empty
 * @param syscalls the entries, in file order
 */
public record OciProfile(String defaultAction, Integer defaultErrnoRet, List<String> architectures, List<ArchMap> archMap,
        List<Entry> syscalls) {

    /** An {@code archMap} item: a native arch and the sub-arches loaded beside it. */
    public record ArchMap(String architecture, List<String> subArchitectures) {
    }

    /** One comparison: {@code op} on argument {@code index}; MASKED_EQ compares {@code (arg & value) == valueTwo}. */
    public record Arg(int index, long value, long valueTwo, String op) {
    }

    /** {@code includes} / {@code excludes}: arches (libseccomp names: amd64, x32, arm64, ...), capabilities, kernel. */
    public record Filter(List<String> arches, List<String> caps, String minKernel) {
        static final Filter NONE = new Filter(List.of(), List.of(), null);
    }

    /**
     * A {@code syscalls} item.
     *
     * @param index its position in {@code syscalls}, for messages ({@code syscalls[12]})
     * @param names the names ({@code name} becomes a one-name list)
     */
    public record Entry(int index, List<String> names, String action, Integer errnoRet, List<Arg> args, Filter includes,
            Filter excludes) {
        /** {@code syscalls[i]}. */
        public String where() {
            return "syscalls[" + index + "]";
        }
    }

    /** Valid SCMP_CMP_* operators (runc's getOperator, libcontainer/seccomp/seccomp_linux.go). */
    static final Set<String> OPS = Set.of("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
            "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ");

    /**
     * Parses a profile.
     *
     * @throws RuleFileException naming the JSON path, line and column of what is wrong
     */
    public static OciProfile parse(String json) {
        if (json.length() > RuleFile.MAX_INPUT_CHARS) {
            throw new RuleFileException("$", 1, 1, "a profile of " + json.length() + " characters is larger than the limit of "
                    + RuleFile.MAX_INPUT_CHARS + " (4 MiB)");
        }
        Json.Obj top = obj(Json.parse(json));
        keys(top, Set.of("defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags", "listenerPath",
                "listenerMetadata"));
        Json.Member da = top.members.get("defaultAction");
        if (da == null) {
            throw top.error("missing \"defaultAction\"");
        }
        String defaultAction = str(da.value);
        Integer defErrno = top.members.containsKey("defaultErrnoRet") ? errno(top.members.get("defaultErrnoRet").value) : null;
        List<String> arches = top.members.containsKey("architectures") ? strings(top.members.get("architectures").value) : List.of();
        List<ArchMap> archMap = new ArrayList<>();
        if (top.members.containsKey("archMap")) {
            for (Json.Value v : arr(top.members.get("archMap").value).items) {
                Json.Obj o = obj(v);
                keys(o, Set.of("architecture", "subArchitectures"));
                Json.Member a = o.members.get("architecture");
                if (a == null) {
                    throw o.error("missing \"architecture\"");
                }
                Json.Member sub = o.members.get("subArchitectures");
                archMap.add(new ArchMap(str(a.value), sub == null || sub.value instanceof Json.Null ? List.of() : strings(sub.value)));
            }
        }
        if (!arches.isEmpty() && !archMap.isEmpty()) {
            // moby's setupSeccomp refuses it, and so does containers/common's getArchitectures
            throw top.members.get("archMap").value.error("both \"architectures\" and \"archMap\" are given: use one of them");
        }
        List<Entry> entries = new ArrayList<>();
        Json.Member sc = top.members.get("syscalls");
        if (sc != null && !(sc.value instanceof Json.Null)) {
            List<Json.Value> items = arr(sc.value).items;
            for (int i = 0; i < items.size(); i++) {
                entries.add(entry(i, items.get(i)));
            }
        }
        return new OciProfile(defaultAction, defErrno, arches, archMap, entries);
    }

    private static Entry entry(int index, Json.Value v) {
        Json.Obj o = obj(v);
        keys(o, Set.of("names", "name", "action", "errnoRet", "args", "includes", "excludes", "comment"));
        Json.Member name = o.members.get("name");
        Json.Member names = o.members.get("names");
        List<String> list;
        if (name != null && names != null) {
            throw name.value.error("both \"name\" and \"names\" are given: use one of them");
        } else if (name != null) {
            list = List.of(str(name.value));
        } else if (names != null) {
            list = strings(names.value);
        } else {
            throw o.error("missing \"names\"");
        }
        Json.Member action = o.members.get("action");
        if (action == null) {
            throw o.error("missing \"action\"");
        }
        Integer errnoRet = o.members.containsKey("errnoRet") ? errno(o.members.get("errnoRet").value) : null;
        List<Arg> args = new ArrayList<>();
        Json.Member am = o.members.get("args");
        if (am != null && !(am.value instanceof Json.Null)) {
            for (Json.Value a : arr(am.value).items) {
                args.add(arg(a));
            }
        }
        return new Entry(index, list, str(action.value), errnoRet, args, filter(o.members.get("includes")),
                filter(o.members.get("excludes")));
    }

    private static Arg arg(Json.Value v) {
        Json.Obj o = obj(v);
        keys(o, Set.of("index", "value", "valueTwo", "op"));
        for (String k : List.of("index", "value", "op")) {
            if (!o.members.containsKey(k)) {
                throw o.error("missing \"" + k + "\"");
            }
        }
        Json.Value iv = o.members.get("index").value;
        long index = u64(iv);
        if (index < 0 || index >= Rule.MAX_ARGS) {
            throw iv.error("argument index " + Long.toUnsignedString(index) + " is out of range 0..5 (struct seccomp_data has six arguments)");
        }
        long value = u64(o.members.get("value").value);
        long two = o.members.containsKey("valueTwo") ? u64(o.members.get("valueTwo").value) : 0;
        Json.Value opv = o.members.get("op").value;
        String op = str(opv);
        if (!OPS.contains(op)) {
            throw opv.error("unknown operator " + Json.quoted(op) + " (expected one of " + new java.util.TreeSet<>(OPS) + ")");
        }
        return new Arg((int) index, value, two, op);
    }

    private static Filter filter(Json.Member m) {
        if (m == null || m.value instanceof Json.Null) {
            return Filter.NONE;
        }
        Json.Obj o = obj(m.value);
        keys(o, Set.of("arches", "caps", "minKernel"));
        List<String> arches = o.members.containsKey("arches") ? strings(o.members.get("arches").value) : List.of();
        List<String> caps = o.members.containsKey("caps") ? strings(o.members.get("caps").value) : List.of();
        String min = null;
        Json.Member k = o.members.get("minKernel");
        if (k != null && !(k.value instanceof Json.Null)) {
            min = str(k.value);
            try {
                KernelRelease.majorMinor(min);
            } catch (IllegalArgumentException e) {
                throw k.value.error(e.getMessage());
            }
        }
        return new Filter(arches, caps, min);
    }

    // ---- JSON helpers ----

    private static void keys(Json.Obj o, Set<String> allowed) {
        for (Map.Entry<String, Json.Member> e : o.members.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                Json.Member m = e.getValue();
                throw new RuleFileException(Json.child(o.path, e.getKey()), m.line, m.column, "unknown key " + Json.quoted(e.getKey())
                        + " (expected one of " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private static Json.Obj obj(Json.Value v) {
        if (v instanceof Json.Obj o) {
            return o;
        }
        throw v.error("expected an object but found " + v.typeName());
    }

    private static Json.Arr arr(Json.Value v) {
        if (v instanceof Json.Arr a) {
            return a;
        }
        throw v.error("expected an array but found " + v.typeName());
    }

    private static String str(Json.Value v) {
        if (v instanceof Json.Str s) {
            return s.value;
        }
        throw v.error("expected a string but found " + v.typeName());
    }

    private static List<String> strings(Json.Value v) {
        if (v instanceof Json.Null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Json.Value i : arr(v).items) {
            out.add(str(i));
        }
        return out;
    }

    /** A JSON integer 0..2^64-1 (Go's uint64), as its 64 bits. */
    private static long u64(Json.Value v) {
        if (!(v instanceof Json.Num n) || !n.isInteger() || n.text.startsWith("-")) {
            throw v.error("expected an integer 0..18446744073709551615 but found " + (v instanceof Json.Num n2 ? n2.text : v.typeName()));
        }
        java.math.BigInteger b = new java.math.BigInteger(n.text);
        if (b.bitLength() > 64) {
            throw v.error(n.text + " does not fit in 64 bits");
        }
        return b.longValue();
    }

    /** An errno: 0..65535 (the data bits of SECCOMP_RET_ERRNO, include/uapi/linux/seccomp.h). */
    private static Integer errno(Json.Value v) {
        if (v instanceof Json.Null) {
            return null;
        }
        long e = u64(v);
        if (e < 0 || e > Action.DATA) {
            throw v.error("errno " + Long.toUnsignedString(e) + " is out of range 0..65535 (SECCOMP_RET_DATA)");
        }
        return (int) e;
    }
}
