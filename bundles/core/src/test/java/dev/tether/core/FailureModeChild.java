package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.api.StubDiedException;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link FailureModeKernelTest}: runs one failure scenario and reports on stdout,
 * one {@code key value...} line per fact, for the parent to check. The parent kills stubs of this
 * JVM from outside, as a user or the OOM killer would.
 *
 * <ul>
 *   <li>{@code fail-stop}: a fail-stop platform with a subprocess; teardown is refused; then it
 *       uses the subprocess until the parent's SIGKILL of it is noticed, which must kill this JVM
 *       by SIGKILL (it never prints {@code survived}).</li>
 *   <li>{@code contained}: two subprocesses; after the parent SIGKILLs the first, using it is a
 *       typed {@link StubDiedException}, the other subprocess and the master go on, the dead one
 *       is destroyed and reaped, and the master has no zombie child; then a clean close.</li>
 * </ul>
 */
public final class FailureModeChild {
    private FailureModeChild() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "fail-stop":
                failStop();
                break;
            case "contained":
                contained();
                break;
            default:
                throw new IllegalArgumentException("unknown scenario " + args[0]);
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void failStop() throws Exception {
        StubPlatformImpl p = TestArch.platform(new Settings(FailureMode.FAIL_STOP, 1, 4, 0));
        Subprocess s = p.newSubprocess();
        int getpid = p.syscallNumber("getpid");
        say("pids " + ProcessHandle.current().pid() + " " + p.master().pid() + " " + s.pid()
                + " " + (s.syscall(getpid) == s.pid()));
        // More releases than the pool holds (4): in fail-stop mode a subprocess cannot be
        // destroyed, so every one is pooled (gVisor's pool has no limit) and reused after
        List<Subprocess> extra = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            extra.add(p.newSubprocess());
        }
        try {
            for (Subprocess e : extra) {
                e.syscall(getpid);
                e.close();
            }
            Subprocess again = p.newSubprocess();
            boolean reused = extra.stream().anyMatch(e -> e.pid() == again.pid());
            again.close();
            StringBuilder pids = new StringBuilder();
            extra.forEach(e -> pids.append(' ').append(e.pid()));
            say("released-over-pool " + extra.size() + " " + p.subprocesses().size() + " " + reused + pids);
        } catch (TetherException e) {
            say("release-refused " + oneLine(e.getMessage()));
        }
        try {
            s.destroy();
            say("destroy-allowed");
        } catch (TetherException e) {
            say("destroy-refused " + oneLine(e.getMessage()));
        }
        try {
            p.close();
            say("close-allowed");
        } catch (TetherException e) {
            say("close-refused " + oneLine(e.getMessage()));
        }
        say("ready");
        // Keep using the subprocess: the parent SIGKILLs it, and noticing that must kill this JVM.
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            try {
                s.syscall(getpid);
            } catch (StubDiedException e) {
                say("noticed-but-survived " + oneLine(e.getMessage()));
                break;
            }
            Thread.sleep(2);
        }
        say("survived");
    }

    private static void contained() throws Exception {
        StubPlatformImpl p = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        Subprocess doomed = p.newSubprocess();
        Subprocess other = p.newSubprocess();
        int getpid = p.syscallNumber("getpid");
        doomed.syscall(getpid);
        other.syscall(getpid);
        int master = p.master().pid();
        say("pids " + ProcessHandle.current().pid() + " " + master + " " + doomed.pid() + " " + other.pid());
        say("ready");
        // The parent SIGKILLs the first subprocess, then says so on stdin.
        String go = new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
        if (!"killed".equals(go)) {
            throw new IllegalStateException("expected 'killed' from the parent, got " + go);
        }
        try {
            long r = doomed.syscall(getpid);
            say("doomed-answered " + r);
        } catch (StubDiedException e) {
            say("doomed-died " + e.termSignal() + " " + oneLine(e.getMessage()));
        }
        try {
            doomed.syscall(getpid);
            say("doomed-answered-again");
        } catch (StubDiedException e) {
            say("doomed-still-dead " + doomed.alive());
        }
        say("other " + (other.syscall(getpid) == other.pid()) + " " + other.alive());
        say("master " + p.master().alive());
        doomed.destroy();
        say("doomed-gone " + !Files.exists(Path.of("/proc/" + doomed.pid())));
        say("master-children " + children(master));
        try (Subprocess third = p.newSubprocess()) {
            say("new-subprocess " + (third.syscall(getpid) == third.pid()));
        }
        p.close();
        say("closed " + !Files.exists(Path.of("/proc/" + master)) + " " + !Files.exists(Path.of("/proc/" + other.pid())));
    }

    /** The processes whose parent is {@code pid}, as "pid:state". */
    static List<String> children(int pid) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : procs) {
                String st;
                try {
                    st = Files.readString(d.resolve("status"));
                } catch (IOException e) {
                    continue;
                }
                if (NoLeftoverProcesses.field(st, "PPid").equals(Integer.toString(pid))) {
                    out.add(d.getFileName() + ":" + NoLeftoverProcesses.field(st, "State"));
                }
            }
        }
        return out;
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }
}
