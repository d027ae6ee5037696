package dev.tether.guest.kernel.testing;

import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TEST DOUBLE: the host's syscall table as its C compiler sees it: the {@code __NR_*} macros of
 * {@code <asm/unistd.h>} (Debian's linux-libc-dev), dumped with {@code gcc -dM -E} and resolved (arm64's
 * generic header defines some through others, e.g. {@code __NR_fstat __NR3264_fstat}). An oracle
 * independent of the arch bundles' generated tables, which this module's tests cannot depend on (those
 * bundles depend on this one).
 */
public final class HostSyscallTable implements SyscallTable {
    private static final Pattern DEFINE = Pattern.compile("#define (__NR3264_\\w+|__NR_\\w+) (\\S+)");

    private final String arch;
    private final Map<String, Integer> byName;

    private HostSyscallTable(String arch, Map<String, Integer> byName) {
        this.arch = arch;
        this.byName = byName;
    }

    /** Tether's name of the host arch, from os.arch (a test may look; the bundles never do). */
    public static String hostArch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> throw new IllegalStateException("no Tether arch for os.arch " + a);
        };
    }

    public static HostSyscallTable load() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("gcc", "-dM", "-E", "-x", "c", "-").redirectErrorStream(true).start();
        p.getOutputStream().write("#include <asm/unistd.h>\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("gcc -dM -E <asm/unistd.h> failed: " + out);
        }
        Map<String, String> raw = new HashMap<>();
        Matcher m = DEFINE.matcher(out);
        while (m.find()) {
            raw.put(m.group(1), m.group(2));
        }
        Map<String, Integer> table = new TreeMap<>();
        for (String macro : raw.keySet()) {
            if (!macro.startsWith("__NR_")) {
                continue;
            }
            Integer nr = resolve(raw, raw.get(macro), 0);
            if (nr != null) {
                table.put(macro.substring(5), nr);
            }
        }
        table.remove("syscalls"); // __NR_syscalls: the count, not a syscall
        table.remove("arch_specific_syscall");
        return new HostSyscallTable(hostArch(), table);
    }

    private static Integer resolve(Map<String, String> raw, String value, int depth) {
        String v = value.replace("(", "").replace(")", "");
        if (v.matches("\\d+")) {
            return Integer.parseInt(v);
        }
        if (depth < 5 && raw.containsKey(v)) {
            return resolve(raw, raw.get(v), depth + 1);
        }
        return null; // arithmetic such as (__NR_arch_specific_syscall + n): not needed here
    }

    @Override
    public String arch() {
        return arch;
    }

    @Override
    public int auditArch() {
        return 0;
    }

    @Override
    public OptionalInt number(String name) {
        Integer n = byName.get(name);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }

    @Override
    public Optional<String> name(int nr) {
        return byName.entrySet().stream().filter(e -> e.getValue() == nr).map(Map.Entry::getKey).findFirst();
    }

    @Override
    public Map<String, Integer> all() {
        return byName;
    }

    @Override
    public String source() {
        return "gcc -dM -E <asm/unistd.h>";
    }
}
