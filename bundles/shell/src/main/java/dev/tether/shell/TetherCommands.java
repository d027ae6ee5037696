package dev.tether.shell;

import dev.tether.abi.Errno;
import dev.tether.api.PlatformCounters;
import dev.tether.api.PlatformFacts;
import dev.tether.api.PlatformStats;
import dev.tether.api.Registers;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.api.SyscallTarget;
import dev.tether.api.TetherException;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Explain;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompDisassembler;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The {@code tether:} console commands (Gogo functions, so Karaf's shell runs them too):
 * {@code info}, {@code stubs}, {@code spawn}, {@code inject}, {@code regs}, {@code kill},
 * {@code policy}, {@code explain}.
 *
 * <p>Ids are pids. {@code inject}, {@code regs} and {@code kill} act on the stubs and
 * subprocesses that {@code spawn} made (the console holds their handles). Everything that
 * touches them runs on one {@link CommandThread}, never on the Gogo session's thread (see there
 * why); when this component deactivates, it destroys what the commands made. When the platform
 * goes (its arch bundle stops), the platform tears them down itself and the console forgets them.
 *
 * <p>Immediate: a delayed component would be deactivated - destroying what the commands made -
 * each time the shell released the service after a command.
 *
 * <p>Each command returns its output as a String (the shell prints it), so that nothing is
 * printed from the command thread, whose System.out is not the session's.
 */
@Component(service = TetherCommands.class, immediate = true, property = {"osgi.command.scope=tether",
    "osgi.command.function=info", "osgi.command.function=stubs", "osgi.command.function=spawn",
    "osgi.command.function=inject", "osgi.command.function=regs", "osgi.command.function=kill",
    "osgi.command.function=policy", "osgi.command.function=explain"})
public final class TetherCommands {
    static final String NO_PLATFORM = "No StubPlatform service: no arch bundle for this host is active.";

    /**
     * A stub or subprocess made by {@code spawn}, with the platform that made it, what to call it
     * and how {@code kill} ends it (a stub is closed; a subprocess is destroyed, as closing it
     * would pool it).
     */
    private record Made(SyscallTarget handle, StubPlatform platform, String kind, Runnable kill) {
        boolean alive() {
            return handle.alive();
        }

        String death() {
            return handle.death();
        }
    }

    private volatile StubPlatform platform;
    private volatile Map<String, Object> platformProperties = Map.of();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<SyscallTable> tables;

    /** Core's counters (the same numbers as its MBean dev.tether:type=Platform). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PlatformStats stats;

    private final ConcurrentMap<Integer, Made> made = new ConcurrentHashMap<>();
    private CommandThread worker;

    @Activate
    void activate() {
        worker = new CommandThread("tether-console");
    }

    /** Destroys what the commands made (on the command thread, their stub threads' tracer), then stops it. */
    @Deactivate
    void deactivate() throws InterruptedException {
        try {
            worker.call(() -> {
                for (Integer pid : new ArrayList<>(made.keySet())) {
                    Made m = made.remove(pid);
                    try {
                        release(m);
                    } catch (RuntimeException e) {
                        System.getLogger(TetherCommands.class.getName()).log(System.Logger.Level.WARNING,
                                "tether console: could not tear down " + m.kind() + " " + pid + ": " + e.getMessage());
                    }
                }
                return null;
            });
        } finally {
            worker.stop();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedPlatform")
    void bindPlatform(StubPlatform p, Map<String, Object> properties) {
        platformProperties = Map.copyOf(properties);
        platform = p;
    }

    void updatedPlatform(StubPlatform p, Map<String, Object> properties) {
        platformProperties = Map.copyOf(properties);
    }

    /**
     * The platform is going: it tears down everything it made, including ours (its teardown
     * follows this call), so only forget them.
     */
    void unbindPlatform(StubPlatform p) {
        if (platform == p) {
            platform = null;
        }
        made.values().removeIf(m -> m.platform() == p);
    }

    // ---------------------------------------------------------------- info, stubs

    @Descriptor("the platform: host facts, configuration, counters (MBean dev.tether:type=Platform)")
    public String info() {
        StringBuilder sb = new StringBuilder();
        StubPlatform p = platform;
        PlatformFacts f = facts(p);
        // the real reason first: a refused configuration, a failed start (PlatformCounters.problem)
        sb.append(java.util.Optional.ofNullable(stats).map(s -> s.counters().problem()).filter(w -> !w.isEmpty()).map(w -> "Problem: " + w + "\n").orElse(""));
        if (f == null) {
            sb.append(NO_PLATFORM).append('\n');
        } else {
            Map<String, Object> props = platformProperties;
            sb.append("Tether stub platform\n");
            row(sb, "arch", f.arch());
            row(sb, "kernel", f.kernel());
            row(sb, "seccomp ordering", f.seccompAfterPtrace() ? "after ptrace (Linux >= 4.8)" : "before ptrace (legacy)");
            row(sb, "stub filter default", f.defaultAction());
            row(sb, "cpuid faulting", f.cpuidFaulting() ? "available, enabled in stubs" : "not available on this CPU");
            row(sb, "stub page", String.format("0x%x, %d bytes, r-x", f.stubAddress(), f.stubLength()));
            row(sb, "page size", Long.toString(f.pageSize()));
            row(sb, "failure mode", mode(f));
            row(sb, "tracer threads", Integer.toString(f.tracerThreads()));
            row(sb, "pool size", String.valueOf(props.getOrDefault("poolSize", "?")));
            row(sb, "pre-fork", String.valueOf(props.getOrDefault("prefork", "?")));
            row(sb, "log injections", String.valueOf(props.getOrDefault("logInjections", "?")));
            try {
                row(sb, "live", p.stubs().size() + " stub(s), " + p.subprocesses().size() + " subprocess(es)");
            } catch (TetherException e) {
                row(sb, "live", "(platform closing: " + e.getMessage() + ")");
            }
        }
        PlatformStats st = stats;
        if (st != null) {
            PlatformCounters c = st.counters();
            sb.append("Counters (MBean dev.tether:type=Platform)\n");
            row(sb, "platforms created", Long.toString(c.platformsCreated()));
            row(sb, "stubs created", Long.toString(c.stubsCreated()));
            row(sb, "subprocesses forked", Long.toString(c.subprocessesForked()));
            row(sb, "injections", c.injections() + " (" + c.injectionErrors() + " returned -errno)");
            row(sb, "injection latency", String.format(Locale.ROOT, "mean %d ns, p50 <= %d ns, p99 <= %d ns, max %d ns",
                    c.injectionMeanNanos(), c.injectionP50Nanos(), c.injectionP99Nanos(), c.injectionMaxNanos()));
            row(sb, "stub deaths", Long.toString(c.stubDeaths()));
            row(sb, "master restarts", Long.toString(c.masterRestarts()));
            row(sb, "failures", Long.toString(c.failures()));
            if (!c.problem().isEmpty()) {
                row(sb, "problem", c.problem());
            }
            row(sb, "fail-stop orphans", st.orphans().describe());
        }
        sb.append("Made by these commands: ").append(made.size()).append(made.isEmpty() ? "" : " (see tether:stubs)");
        return sb.toString();
    }

    @Descriptor("the live stubs and subprocesses: pid, kind, state, stub threads and their tracers")
    public String stubs() {
        StubPlatform p = platform;
        if (facts(p) == null) {
            return NO_PLATFORM;
        }
        pruneDead();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-11s %-8s %-6s %-8s %s%n", "KIND", "PID", "STATE", "MADE-BY", "THREADS (tid:tracer)"));
        List<Subprocess> subs;
        List<Stub> stubs;
        try {
            subs = p.subprocesses();
            stubs = p.stubs();
        } catch (TetherException e) {
            return "the platform is closing: " + e.getMessage();
        }
        for (Subprocess s : subs) {
            StringBuilder threads = new StringBuilder();
            for (StubThreadInfo t : s.threads()) {
                threads.append(threads.length() == 0 ? "" : " ").append(t.tid()).append(':').append(t.tracer());
            }
            line(sb, "subprocess", s.pid(), s.alive() ? procState(s.pid()) : "dead", s.pid(), threads.toString());
        }
        for (Stub s : stubs) {
            line(sb, "stub", s.pid(), s.alive() ? procState(s.pid()) : "dead", s.pid(),
                    s.tid() + ":" + tracerOf(s.tid()));
        }
        sb.append(subs.size()).append(" subprocess(es), ").append(stubs.size()).append(" stub(s); states from /proc:"
                + " t = stopped under ptrace");
        return sb.toString();
    }

    private void line(StringBuilder sb, String kind, int pid, String state, int key, String threads) {
        sb.append(String.format("%-11s %-8d %-6s %-8s %s%n", kind, pid, state, made.containsKey(key) ? "console" : "-",
                threads));
    }

    // ---------------------------------------------------------------- spawn, inject, regs, kill

    @Descriptor("a new subprocess (forked from the master stub); prints its id, the pid")
    public int spawn() {
        return spawn("subprocess");
    }

    @Descriptor("a new subprocess, or a stub created from the JVM; prints its id, the pid")
    public int spawn(@Descriptor("subprocess (default) or stub") String kind) {
        StubPlatform p = requirePlatform();
        boolean sub;
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "subprocess":
                sub = true;
                break;
            case "stub":
                sub = false;
                break;
            default:
                throw new IllegalArgumentException("tether:spawn: unknown kind \"" + kind + "\": subprocess or stub");
        }
        Made m = worker.call(() -> {
            Made created;
            if (sub) {
                Subprocess s = p.newSubprocess();
                created = new Made(s, p, "subprocess", s::destroy);
            } else {
                Stub s = p.createStub();
                created = new Made(s, p, "stub", s::close);
            }
            SyscallTarget h = created.handle();
            try {
                // proves it runs, and makes this thread the tracer of the subprocess's stub thread
                long self = h.syscall("getpid");
                int pid = h.pid();
                if (self != pid) {
                    throw new TetherException(created.kind() + " " + pid + " answered getpid() with " + self);
                }
            } catch (RuntimeException e) {
                release(created);
                throw e;
            }
            return created;
        });
        int pid = m.handle().pid();
        made.put(pid, m);
        return pid;
    }

    @Descriptor("injects a system call into a stub or subprocess made by tether:spawn; prints the result")
    public String inject(@Descriptor("the stub's or subprocess's pid") int id,
            @Descriptor("syscall name (getpid) or number") String syscall,
            @Descriptor("up to 6 arguments: decimal, or 0x hex") String... args) {
        Made m = handle(id, "tether:inject");
        int nr = syscallNumber(m.platform(), syscall);
        if (args.length > 6) {
            throw new IllegalArgumentException("tether:inject: a syscall takes at most 6 arguments, got " + args.length);
        }
        long[] a = new long[args.length];
        for (int i = 0; i < args.length; i++) {
            a[i] = number("argument " + (i + 1), args[i]);
        }
        long r = worker.call(() -> m.handle().syscall(nr, a));
        StringBuilder call = new StringBuilder(name(m.platform(), nr)).append('(');
        for (int i = 0; i < a.length; i++) {
            call.append(i == 0 ? "" : ", ").append(args[i]);
        }
        call.append(") = ").append(r);
        // -4095..-1 is an errno (the kernel's MAX_ERRNO, include/linux/err.h)
        if (r < 0 && r >= -4095) {
            call.append(" (").append(Errno.name((int) -r)).append(')');
        }
        return call.toString();
    }

    @Descriptor("the registers of a stub, or of the console's stub thread in a subprocess, made by tether:spawn")
    public String regs(@Descriptor("the stub's or subprocess's pid") int id) {
        Made m = handle(id, "tether:regs");
        Registers r = worker.call(() -> m.handle().registers());
        return m.kind() + " " + id + " (" + r.arch() + ")\n" + r.toString().stripTrailing();
    }

    @Descriptor("kills and reaps a stub or subprocess made by tether:spawn")
    public String kill(@Descriptor("the stub's or subprocess's pid") int id) {
        Made m = handle(id, "tether:kill");
        worker.call(() -> {
            release(m);
            return null;
        });
        made.remove(id, m);
        boolean gone = !Files.exists(Path.of("/proc/" + id));
        return "killed " + m.kind() + " " + id + (gone ? "" : " (its pid is still in /proc: reused, or not reaped yet)");
    }

    // ---------------------------------------------------------------- policy, explain

    @Descriptor("the stub's seccomp policy, as a rule file (JSON)")
    public String policy() {
        return policy("json");
    }

    @Descriptor("the stub's seccomp policy: json (a rule file) or listing (the compiled filter)")
    public String policy(@Descriptor("json or listing") String format) {
        StubPlatform p = requirePlatform();
        SyscallTable table = table(p);
        Policy policy = p.stubPolicy(Action.parse(p.facts().defaultAction()));
        switch (format.toLowerCase(Locale.ROOT)) {
            case "json":
                return RuleFile.write(policy, table).stripTrailing();
            case "listing":
                Program prog = SeccompCompiler.compile(policy, table);
                return header(p, prog) + "\n" + SeccompDisassembler.disassemble(prog, nr -> table.name(nr).orElse(null))
                        .stripTrailing();
            default:
                throw new IllegalArgumentException("tether:policy: unknown format \"" + format + "\": json or listing");
        }
    }

    @Descriptor("statistics of the compiled stub filter: size, instructions executed, costliest syscalls")
    public String explain() {
        return explain(10);
    }

    @Descriptor("statistics of the compiled stub filter, listing the N costliest syscalls")
    public String explain(@Descriptor("how many syscalls to list") int top) {
        if (top < 0) {
            throw new IllegalArgumentException("tether:explain: the number of syscalls to list must be >= 0, got " + top);
        }
        StubPlatform p = requirePlatform();
        SyscallTable table = table(p);
        Program prog = SeccompCompiler.compile(p.stubPolicy(Action.parse(p.facts().defaultAction())), table);
        return header(p, prog) + "\n" + Explain.of(prog, table, Explain.DEFAULT_MAX_NR).format(table, top).stripTrailing();
    }

    private static String header(StubPlatform p, Program prog) {
        PlatformFacts f = p.facts();
        return String.format("# stub filter for %s (%s mode, default action %s): %d instructions", f.arch(), mode(f),
                f.defaultAction(), prog.size());
    }

    // ---------------------------------------------------------------- helpers

    private StubPlatform requirePlatform() {
        StubPlatform p = platform;
        if (facts(p) == null) {
            throw new IllegalStateException(NO_PLATFORM);
        }
        return p;
    }

    private static PlatformFacts facts(StubPlatform p) {
        try {
            return p == null ? null : p.facts();
        } catch (TetherException e) {
            return null; // unregistered between the read and the call
        }
    }

    private Made handle(int id, String command) {
        Made m = made.get(id);
        if (m == null) {
            throw new IllegalArgumentException(command + ": no stub or subprocess " + id + " made by tether:spawn"
                    + (made.isEmpty() ? " (none is alive; make one with tether:spawn)" : " (have " + new TreeMap<>(made).keySet() + ")"));
        }
        if (!m.alive()) {
            made.remove(id, m);
            throw new IllegalArgumentException(command + ": " + m.kind() + " " + id + " is gone: " + m.death());
        }
        return m;
    }

    /** Forgets handles whose stub or subprocess is gone (the platform was replaced, or a stub died). */
    private void pruneDead() {
        made.values().removeIf(m -> !m.alive());
    }

    /** Destroys a subprocess or closes a stub; must run on the command thread. */
    private static void release(Made m) {
        m.kill().run();
    }

    private SyscallTable table(StubPlatform p) {
        String arch = p.facts().arch();
        List<SyscallTable> all = tables;
        if (all != null) {
            for (SyscallTable t : all) {
                if (t.arch().equals(arch)) {
                    return t;
                }
            }
        }
        throw new IllegalStateException("no " + arch + " syscall table service (is the arch bundle stopping?)");
    }

    private static int syscallNumber(StubPlatform p, String syscall) {
        String s = syscall.trim();
        if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.startsWith("-"))) {
            long nr = number("syscall number", s);
            if (nr < 0 || nr > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tether:inject: syscall number " + s + " is out of range");
            }
            return (int) nr;
        }
        try {
            return p.syscallNumber(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("tether:inject: " + e.getMessage(), e);
        }
    }

    private String name(StubPlatform p, int nr) {
        try {
            return table(p).name(nr).orElse("syscall " + nr);
        } catch (IllegalStateException e) {
            return "syscall " + nr;
        }
    }

    /** A decimal (possibly negative) or 0x-hex (up to 64 bits) number. */
    static long number(String what, String text) {
        String t = text.trim();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tether:inject: " + what + " \"" + text + "\" is not a number"
                    + " (decimal, or 0x hex)");
        }
    }

    private static String mode(PlatformFacts f) {
        return f.failureMode().toString().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void row(StringBuilder sb, String key, String value) {
        sb.append(String.format("  %-22s %s%n", key, value));
    }

    /** The process state letter of /proc/[pid]/stat (after the parenthesised comm), or "gone". */
    static String procState(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() ? "?" : String.valueOf(stat.charAt(close + 2));
        } catch (IOException e) {
            return "gone";
        }
    }

    /** "tid(name)" of the JVM thread that traces {@code tid}, from /proc. */
    static String tracerOf(int tid) {
        try {
            String status = Files.readString(Path.of("/proc/" + tid + "/status"));
            String tracer = DemoCommand.field(status, "TracerPid");
            String comm = "";
            try {
                comm = Files.readString(Path.of("/proc/self/task/" + tracer + "/comm")).trim();
            } catch (IOException e) {
                // not one of this JVM's threads
            }
            return comm.isEmpty() ? tracer : comm;
        } catch (IOException e) {
            return "?";
        }
    }
}
