package dev.tether.shell.commands;

import static dev.tether.shell.commands.ProcStatus.field;

import dev.tether.abi.Clone;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubPlatform;
import dev.tether.seccomp.Action;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tether:demo}: the main job in a few lines of output - the platform facts, a stub created
 * from the JVM and what /proc says about it, two injected syscalls, a forbidden syscall killing a
 * throw-away stub, a tiny guest program whose every system call lands in Java, and proof that
 * nothing is left behind.
 */
public final class Demo {
    private Demo() {
    }

    /** Runs the demo, printing to {@code out}. */
    public static void run(TetherConsole console, PrintStream out) throws Exception {
        StubPlatform p = console.platform().orElse(null);
        if (p == null) {
            out.println(TetherConsole.NO_PLATFORM);
            return;
        }
        long jvm = ProcessHandle.current().pid();
        // what the platform (or anyone) already runs is not the demo's: its master stub, pooled
        // subprocesses, other users' stubs
        List<String> before = leftovers(jvm);
        PlatformFacts f = p.facts();
        out.println("Tether stub platform");
        row(out, "arch", f.arch());
        row(out, "kernel", f.kernel());
        row(out, "seccomp ordering", f.seccompAfterPtrace() ? "after ptrace (Linux >= 4.8)" : "before ptrace (legacy)");
        row(out, "stub filter default", f.defaultAction());
        row(out, "cpuid faulting", f.cpuidFaulting() ? "available, enabled in stubs" : "not available on this CPU");
        row(out, "stub page", String.format("0x%x, %d bytes, r-x", f.stubAddress(), f.stubLength()));
        row(out, "page size", Long.toString(f.pageSize()));
        row(out, "failure mode", PlatformReport.mode(f));
        row(out, "tracer threads", Integer.toString(f.tracerThreads()));
        out.println();

        try (Stub stub = p.createStub()) {
            int pid = stub.pid();
            out.printf("Stub %d, created from the JVM (pid %d)%n", pid, jvm);
            String st = Files.readString(Path.of("/proc/" + pid + "/status"));
            String tracer = field(st, "TracerPid");
            String tracerName = readQuietly(Path.of("/proc/" + jvm + "/task/" + tracer + "/comm"));
            row(out, "Seccomp", field(st, "Seccomp") + check(field(st, "Seccomp").equals("2")) + "  (filter mode)");
            row(out, "NoNewPrivs", field(st, "NoNewPrivs") + check(field(st, "NoNewPrivs").equals("1")));
            row(out, "TracerPid", tracer + check(!tracerName.isEmpty()) + "  (JVM thread " + tracerName + ")");
            row(out, "State", field(st, "State") + check(field(st, "State").startsWith("t")));
            long got = stub.syscall("getpid");
            row(out, "inject getpid()", got + check(got == pid) + "  (the stub's pid)");
            long ppid = stub.syscall("getppid");
            row(out, "inject getppid()", ppid + check(ppid == jvm) + "  (the JVM)");
        }
        out.println();

        // Exit signal 0 (CLONE_FILES only): this stub's death does not signal the JVM.
        Stub doomed = p.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
        int doomedPid = doomed.pid();
        try {
            long r = doomed.syscall("getuid");
            out.printf("Stub %d: getuid() outside the policy returned %d  FAILED: it should have been killed%n", doomedPid, r);
        } catch (StubDiedException e) {
            out.printf("Stub %d: inject getuid() (outside the policy) -> %s%s%n", doomedPid,
                    e.getMessage().contains("SIGSYS") ? "killed by SIGSYS" : e.getMessage(), check(e.termSignal() == 31));
        } finally {
            doomed.close();
        }
        out.println();
        GuestDemo.run(out, console.guests(), p.facts(), console.tables(), console.abis());
        List<String> left = leftovers(jvm);
        // by pid: a process's state may change in between
        List<String> beforePids = before.stream().map(e -> e.substring(0, e.indexOf(' '))).toList();
        left.removeIf(e -> beforePids.contains(e.substring(0, e.indexOf(' '))));
        // The guest's address space went back to the platform's pool (gVisor's Release), which forked
        // it from the platform's master stub: both are the platform's, torn down when it closes.
        java.util.Set<String> own = new java.util.HashSet<>();
        for (dev.tether.api.Subprocess sp : p.subprocesses()) {
            own.add(Integer.toString(sp.pid()));
            own.add(field(readQuietly(Path.of("/proc/" + sp.pid() + "/status")), "PPid"));
        }
        int kept = (int) left.stream().filter(e -> own.contains(e.substring(0, e.indexOf(' ')))).count();
        left.removeIf(e -> own.contains(e.substring(0, e.indexOf(' '))));
        out.println("Processes left behind: " + (left.isEmpty() ? "none" + check(true) : left + check(false))
                + (kept == 0 ? "" : "  (the platform keeps its master stub and pooled subprocesses until it closes: " + kept + ")"));
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf("  %-20s %s%n", key, value);
    }

    private static String check(boolean ok) {
        return ok ? "  ok" : "  UNEXPECTED";
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Children of the JVM and processes traced by its threads. */
    static List<String> leftovers(long jvm) throws IOException {
        List<String> tasks = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc/" + jvm + "/task"))) {
            s.forEach(t -> tasks.add(t.getFileName().toString()));
        }
        List<String> left = new ArrayList<>();
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : procs) {
                String st = readQuietly(d.resolve("status"));
                if (st.isEmpty()) {
                    continue;
                }
                if (field(st, "PPid").equals(Long.toString(jvm)) || tasks.contains(field(st, "TracerPid"))) {
                    left.add(d.getFileName() + " (" + field(st, "State") + ")");
                }
            }
        }
        return left;
    }
}
