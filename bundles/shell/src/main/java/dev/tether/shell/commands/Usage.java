package dev.tether.shell.commands;

import java.util.List;
import java.util.Map;

/**
 * The syntax and description of every {@code tether:} command, in one place: the Gogo functions
 * print them for {@code --help}, and the Karaf actions use the descriptions in their annotations
 * (compile-time constants, so that Karaf's {@code help} shows the same words).
 */
public final class Usage {
    public static final String SCOPE = "tether";

    public static final String INFO = "the platform: host facts, configuration, counters (MBean dev.tether:type=Platform)";
    public static final String STUBS = "the live stubs and subprocesses: pid, kind, state, stub threads and their tracers";
    public static final String SPAWN = "makes a subprocess (forked from the master stub) or a stub (created from the JVM);"
            + " prints its pid";
    public static final String SPAWN_KIND = "subprocess (default) or stub";
    public static final String INJECT = "injects a system call into a stub or subprocess made by tether:spawn; prints the"
            + " call and its result";
    public static final String PID = "the pid of a stub or subprocess made by tether:spawn";
    public static final String SYSCALL = "a syscall name (getpid) or number";
    public static final String SYSCALL_ARGS = "up to 6 arguments: decimal, or 0x hex";
    public static final String REGS = "prints the registers of a stub, or of the console's stub thread in a subprocess,"
            + " made by tether:spawn";
    public static final String KILL = "kills and reaps a stub or subprocess made by tether:spawn";
    public static final String POLICY = "prints the stub's seccomp policy: json (a rule file) or listing (the compiled filter)";
    public static final String POLICY_FORMAT = "json (default) or listing";
    public static final String EXPLAIN = "statistics of the compiled stub filter: size, instructions executed, costliest"
            + " syscalls";
    public static final String EXPLAIN_TOP = "how many of the costliest syscalls to list (default 10)";
    public static final String DEMO = "the main job in a few lines: a stub, injected syscalls, a seccomp kill, a guest,"
            + " nothing left behind";
    public static final String RUN = "runs a static Linux program as a guest (every system call emulated in Java); its"
            + " exit status is the command's";
    public static final String BENCH = "times the platform's operations, one line per op: op=NAME n=N median_us=X p90_us=Y"
            + " p99_us=Z";
    public static final String HEALTH = "runs the Tether health checks (ptrace, seccomp, arch bundle, platform) and"
            + " prints them; fails unless OK or WARN";

    /** Each command's syntax line, in the order {@code help tether} lists them. */
    public static final Map<String, String> SYNTAX = syntax();

    private Usage() {
    }

    private static Map<String, String> syntax() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("bench", "tether:bench [--ops OP[,OP...]] [--seconds N] [--platform ptrace|trap] | --list");
        m.put("demo", "tether:demo");
        m.put("explain", "tether:explain [TOP]");
        m.put("health", "tether:health");
        m.put("info", "tether:info");
        m.put("inject", "tether:inject PID SYSCALL [ARG...]");
        m.put("kill", "tether:kill PID");
        m.put("policy", "tether:policy [json|listing]");
        m.put("regs", "tether:regs PID");
        m.put("run", "tether:run [--platform ptrace|trap] [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]");
        m.put("spawn", "tether:spawn [subprocess|stub]");
        m.put("stubs", "tether:stubs");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The description of each command. */
    public static final Map<String, String> DESCRIPTION = Map.ofEntries(Map.entry("bench", BENCH), Map.entry("demo", DEMO),
            Map.entry("explain", EXPLAIN), Map.entry("health", HEALTH), Map.entry("info", INFO), Map.entry("inject", INJECT),
            Map.entry("kill", KILL), Map.entry("policy", POLICY), Map.entry("regs", REGS), Map.entry("run", RUN),
            Map.entry("spawn", SPAWN), Map.entry("stubs", STUBS));

    /**
     * What {@code tether:NAME --help} prints in the Gogo shell: the syntax, the description, and
     * one line per argument.
     *
     * @throws IllegalArgumentException for a name that is not a tether command
     */
    public static String help(String name, List<String> argumentLines) {
        String syntax = SYNTAX.get(name);
        if (syntax == null) {
            throw new IllegalArgumentException("no tether command " + name + "; the commands are " + SYNTAX.keySet());
        }
        StringBuilder b = new StringBuilder("usage: ").append(syntax).append('\n').append(DESCRIPTION.get(name));
        for (String line : argumentLines) {
            b.append("\n  ").append(line);
        }
        return b.toString();
    }
}
