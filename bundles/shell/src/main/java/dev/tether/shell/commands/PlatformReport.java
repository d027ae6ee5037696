package dev.tether.shell.commands;

import dev.tether.api.PlatformCounters;
import dev.tether.api.PlatformFacts;
import dev.tether.api.PlatformStats;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code tether:info} (the platform: host facts, configuration, counters) and
 * {@code tether:stubs} (the live stubs and subprocesses, as rows a shell lays out as a table).
 */
public final class PlatformReport {
    /** The header of {@code tether:stubs}, one per {@link StubRow} field. */
    public static final List<String> STUB_COLUMNS = List.of("KIND", "PID", "STATE", "MADE-BY", "THREADS (tid:tracer)");
    /** The line under the table. */
    public static final String STATE_NOTE = "states from /proc: t = stopped under ptrace";

    private PlatformReport() {
    }

    /** One line of {@code tether:stubs}: a subprocess or stub, its /proc state, whether the console made it, its threads. */
    public record StubRow(String kind, int pid, String state, String madeBy, String threads) {
        public List<Object> cells() {
            return List.of(kind, pid, state, madeBy, threads);
        }
    }

    /** Prints the platform's facts, configuration and counters (or why there is no platform). */
    public static void info(TetherConsole console, PrintStream out) {
        Optional<StubPlatform> platform = console.platform();
        PlatformStats st = console.stats();
        // the real reason first: a refused configuration, a failed start (PlatformCounters.problem)
        String problem = st == null ? "" : st.counters().problem();
        if (!problem.isEmpty()) {
            out.println("Problem: " + problem);
        }
        if (platform.isEmpty()) {
            out.println(TetherConsole.NO_PLATFORM);
        } else {
            StubPlatform p = platform.get();
            PlatformFacts f = p.facts();
            Map<String, Object> props = console.platformProperties();
            out.println("Tether stub platform");
            row(out, "arch", f.arch());
            row(out, "kernel", f.kernel());
            row(out, "seccomp ordering", f.seccompAfterPtrace() ? "after ptrace (Linux >= 4.8)" : "before ptrace (legacy)");
            row(out, "stub filter default", f.defaultAction());
            row(out, "cpuid faulting", f.cpuidFaulting() ? "available, enabled in stubs" : "not available on this CPU");
            row(out, "stub page", String.format("0x%x, %d bytes, r-x", f.stubAddress(), f.stubLength()));
            row(out, "page size", Long.toString(f.pageSize()));
            row(out, "failure mode", mode(f));
            row(out, "tracer threads", Integer.toString(f.tracerThreads()));
            row(out, "pool size", String.valueOf(props.getOrDefault("poolSize", "?")));
            row(out, "pre-fork", String.valueOf(props.getOrDefault("prefork", "?")));
            row(out, "log injections", String.valueOf(props.getOrDefault("logInjections", "?")));
            try {
                row(out, "live", p.stubs().size() + " stub(s), " + p.subprocesses().size() + " subprocess(es)");
            } catch (TetherException e) {
                row(out, "live", "(platform closing: " + e.getMessage() + ")");
            }
        }
        if (st != null) {
            PlatformCounters c = st.counters();
            out.println("Counters (MBean dev.tether:type=Platform)");
            row(out, "platforms created", Long.toString(c.platformsCreated()));
            row(out, "stubs created", Long.toString(c.stubsCreated()));
            row(out, "subprocesses forked", Long.toString(c.subprocessesForked()));
            row(out, "injections", c.injections() + " (" + c.injectionErrors() + " returned -errno)");
            row(out, "injection latency", String.format(Locale.ROOT, "mean %d ns, p50 <= %d ns, p99 <= %d ns, max %d ns",
                    c.injectionMeanNanos(), c.injectionP50Nanos(), c.injectionP99Nanos(), c.injectionMaxNanos()));
            row(out, "stub deaths", Long.toString(c.stubDeaths()));
            row(out, "master restarts", Long.toString(c.masterRestarts()));
            row(out, "failures", Long.toString(c.failures()));
            if (!c.problem().isEmpty()) {
                row(out, "problem", c.problem());
            }
            row(out, "fail-stop orphans", st.orphans().describe());
        }
        int made = console.handles().size();
        out.println("Made by these commands: " + made + (made == 0 ? "" : " (see tether:stubs)"));
    }

    /**
     * The live subprocesses and stubs of the platform.
     *
     * @throws IllegalStateException without a platform, or while it closes
     */
    public static List<StubRow> stubs(TetherConsole console) {
        StubPlatform p = console.requirePlatform();
        Handles handles = console.handles();
        handles.pruneDead();
        List<Subprocess> subs;
        List<Stub> stubs;
        try {
            subs = p.subprocesses();
            stubs = p.stubs();
        } catch (TetherException e) {
            throw new IllegalStateException("the platform is closing: " + e.getMessage(), e);
        }
        List<StubRow> rows = new ArrayList<>();
        for (Subprocess s : subs) {
            StringBuilder threads = new StringBuilder();
            for (StubThreadInfo t : s.threads()) {
                threads.append(threads.length() == 0 ? "" : " ").append(t.tid()).append(':').append(t.tracer());
            }
            rows.add(new StubRow("subprocess", s.pid(), s.alive() ? procState(s.pid()) : "dead",
                    handles.isMade(s.pid()) ? "console" : "-", threads.toString()));
        }
        for (Stub s : stubs) {
            rows.add(new StubRow("stub", s.pid(), s.alive() ? procState(s.pid()) : "dead",
                    handles.isMade(s.pid()) ? "console" : "-", s.tid() + ":" + tracerOf(s.tid())));
        }
        return rows;
    }

    /** The summary under the table: how many of each. */
    public static String summary(List<StubRow> rows) {
        long subs = rows.stream().filter(r -> r.kind().equals("subprocess")).count();
        return subs + " subprocess(es), " + (rows.size() - subs) + " stub(s); " + STATE_NOTE;
    }

    /** {@link #stubs} as fixed-width text (the Gogo shell's table). */
    public static void printStubs(List<StubRow> rows, PrintStream out) {
        String format = "%-11s %-8s %-6s %-8s %s%n";
        out.printf(format, STUB_COLUMNS.toArray());
        for (StubRow r : rows) {
            out.printf(format, r.kind(), r.pid(), r.state(), r.madeBy(), r.threads());
        }
        out.println(summary(rows));
    }

    static String mode(PlatformFacts f) {
        return f.failureMode().toString().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf("  %-22s %s%n", key, value);
    }

    /** The process state letter of /proc/[pid]/stat (after the parenthesised comm, proc(5)), or "gone". */
    static String procState(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() ? "?" : String.valueOf(stat.charAt(close + 2));
        } catch (IOException e) {
            return "gone";
        }
    }

    /** "tid(name)" of the JVM thread that traces {@code tid}, from /proc/[tid]/status's TracerPid (proc(5)). */
    static String tracerOf(int tid) {
        try {
            String status = Files.readString(Path.of("/proc/" + tid + "/status"));
            String tracer = ProcStatus.field(status, "TracerPid");
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
