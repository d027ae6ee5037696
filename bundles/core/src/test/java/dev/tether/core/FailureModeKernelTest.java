package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import dev.tether.seccomp.Action;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What happens when a stub dies unexpectedly. The fail-stop and contained scenarios run in a
 * child JVM ({@link FailureModeChild}), because fail-stop must kill its JVM; this JVM kills the
 * child's stubs from outside, as a user or the OOM killer would. While these tests run, this JVM
 * is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so that the stubs of a dead child JVM,
 * killed by PDEATHSIG / PTRACE_O_EXITKILL, are re-parented here and reaped, not left as zombies
 * under PID 1. Register dumps of unexpected stops are checked in this JVM, on contained stubs.
 */
@ExtendWith(NoLeftoverProcesses.class)
class FailureModeKernelTest {
    /** include/uapi/linux/prctl.h */
    static final int PR_SET_CHILD_SUBREAPER = 36;
    /** How long a child JVM may take for its scenario. */
    static final long CHILD_SECONDS = 60;

    @BeforeAll
    static void subreaper() {
        Sys.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }

    @AfterAll
    static void noSubreaper() {
        Sys.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }

    /** A child JVM running one {@link FailureModeChild} scenario; its stderr goes to a file. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final Writer in;
        final Path err;
        final List<String> lines = new ArrayList<>();

        Child(String scenario) throws IOException {
            Path dir = Path.of("target", "failure-mode");
            Files.createDirectories(dir);
            err = dir.resolve(scenario + ".stderr");
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-cp", classPath));
            String jnaTmp = System.getProperty("jna.tmpdir");
            if (jnaTmp != null) {
                cmd.add("-Djna.tmpdir=" + jnaTmp);
            }
            cmd.add(FailureModeChild.class.getName());
            cmd.add(scenario);
            process = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** The rest of the next line, which must start with {@code key}. */
        String expect(String key) throws IOException {
            String line = out.readLine();
            if (line == null) {
                fail("child JVM ended before '" + key + "'; output " + lines + "; stderr:\n" + stderr());
            }
            lines.add(line);
            if (!line.equals(key) && !line.startsWith(key + " ")) {
                fail("expected '" + key + "' from the child JVM, got '" + line + "'; stderr:\n" + stderr());
            }
            return line.substring(key.length()).trim();
        }

        void tell(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
        }

        /** The exit code after the child ends (128 + signal when a signal killed it). */
        int waitFor() throws Exception {
            if (!process.waitFor(CHILD_SECONDS, TimeUnit.SECONDS)) {
                fail("child JVM still running after " + CHILD_SECONDS + " s; output " + lines + "; stderr:\n" + stderr());
            }
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }
            return process.exitValue();
        }

        String stderr() {
            try {
                return Files.readString(err);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    static int[] ints(String text) {
        String[] parts = text.split(" ");
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = parts[i].equals("true") ? 1 : parts[i].equals("false") ? 0 : Integer.parseInt(parts[i]);
        }
        return v;
    }

    /**
     * Waits until process {@code pid} is gone, reaping it when it was re-parented here as a
     * zombie; fails if it is still alive (not a zombie) after 10 s.
     */
    static void awaitGone(int pid, String what) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        String state = "";
        while (System.nanoTime() < end) {
            String st;
            try {
                st = Files.readString(Path.of("/proc/" + pid + "/status"));
            } catch (IOException e) {
                return; // gone
            }
            state = NoLeftoverProcesses.field(st, "State");
            if (state.startsWith("Z") && NoLeftoverProcesses.field(st, "PPid").equals(Long.toString(ProcessHandle.current().pid()))) {
                try {
                    Sys.wait4(pid, Wait.__WALL | Wait.WNOHANG);
                } catch (LinuxException e) {
                    // not ours after all: keep waiting for its reaper
                }
                continue;
            }
            Thread.sleep(5);
        }
        fail(what + " " + pid + " is still there (" + state + ") after its JVM died");
    }

    @Test
    void failStopSigkillOfASubprocessBringsTheJvmDownAndTeardownIsRefused() throws Exception {
        try (Child c = new Child("fail-stop")) {
            int[] pids = ints(c.expect("pids"));
            int master = pids[1];
            int sub = pids[2];
            assertEquals(1, pids[3], "the subprocess answered getpid with its pid");
            // six released with a pool of four: all pooled (none can be destroyed), one reused
            String[] pooled = c.expect("released-over-pool").split(" ");
            assertEquals("6 7 true", pooled[0] + " " + pooled[1] + " " + pooled[2], c.lines.toString());
            String destroy = c.expect("destroy-refused");
            assertTrue(destroy.contains("fail-stop") && destroy.contains("SIGKILL") && destroy.contains("contained"),
                    "Subprocess.destroy says why it refuses: " + destroy);
            String close = c.expect("close-refused");
            assertTrue(close.contains("fail-stop") && close.contains("kill the JVM"),
                    "StubPlatform.close says why it refuses: " + close);
            c.expect("ready");

            Sys.kill(sub, Signals.SIGKILL);
            int exit = c.waitFor();
            assertEquals(128 + Signals.SIGKILL, exit, "the child JVM was killed by SIGKILL; output " + c.lines
                    + "; stderr:\n" + c.stderr());
            assertFalse(c.lines.contains("survived"), c.lines.toString());
            assertTrue(c.stderr().contains("fail-stop") && c.stderr().contains("subprocess " + sub + " died"),
                    "the JVM said why it killed itself:\n" + c.stderr());
            // Its stubs died with it (PTRACE_O_EXITKILL, PDEATHSIG) and were reaped here.
            awaitGone(sub, "subprocess");
            awaitGone(master, "master stub");
            for (int i = 3; i < pooled.length; i++) {
                awaitGone(Integer.parseInt(pooled[i]), "pooled subprocess");
            }
        }
    }

    @Test
    void containedSigkillOfASubprocessIsATypedErrorAndEverythingElseGoesOn() throws Exception {
        try (Child c = new Child("contained")) {
            int[] pids = ints(c.expect("pids"));
            int master = pids[1];
            int doomed = pids[2];
            int other = pids[3];
            c.expect("ready");

            Sys.kill(doomed, Signals.SIGKILL);
            c.tell("killed");
            String died = c.expect("doomed-died");
            assertTrue(died.startsWith(Signals.SIGKILL + " "), "a StubDiedException for SIGKILL: " + died);
            assertTrue(died.contains("SIGKILL"), died);
            assertEquals("false", c.expect("doomed-still-dead"), "the dead subprocess stays dead and says so");
            assertEquals("true true", c.expect("other"), "the other subprocess still answers");
            assertEquals("true", c.expect("master"), "the master is alive");
            assertEquals("true", c.expect("doomed-gone"), "destroyed and reaped");
            String children = c.expect("master-children");
            assertFalse(children.contains(doomed + ":"), "the dead subprocess is not left under the master: " + children);
            assertFalse(children.contains(":Z"), "no zombie under the master: " + children);
            assertTrue(children.contains(other + ":"), "the other subprocess is: " + children);
            assertEquals("true", c.expect("new-subprocess"), "the platform goes on forking");
            assertEquals("true true", c.expect("closed"), "close tore down the master and the other subprocess");
            assertEquals(0, c.waitFor(), "the child JVM ended normally; stderr:\n" + c.stderr());
            awaitGone(doomed, "subprocess");
            awaitGone(other, "subprocess");
            awaitGone(master, "master stub");
        }
    }

    /** The instruction pointer in a register dump of this arch (Registers.toString format). */
    static long dumpedIp(String dump) {
        String ip = TestArch.layout().names().get(TestArch.layout().instructionPointerIndex());
        Matcher m = Pattern.compile("(?m)(?:^|\\s)" + Pattern.quote(ip) + "\\s+([0-9a-f]{16})").matcher(dump);
        assertTrue(m.find(), "no " + ip + " in the dump:\n" + dump);
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    @Test
    void aStubKilledInAnInjectionReportsItsRegistersAtThePtraceExitStop() {
        try (StubPlatformImpl p = TestArch.platform(Settings.defaults())) {
            // Exit signal 0: its death spares this JVM.
            Stub stub = p.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
            StubDiedException e = org.junit.jupiter.api.Assertions.assertThrows(StubDiedException.class,
                    () -> stub.syscall("getuid"));
            String msg = e.getMessage();
            assertEquals(Signals.SIGSYS, e.termSignal(), msg);
            assertTrue(msg.contains("killed by SIGSYS") && msg.contains("during getuid"), msg);
            int at = msg.indexOf("registers at its PTRACE_EVENT_EXIT stop:");
            assertTrue(at > 0, "a register dump: " + msg);
            String dump = msg.substring(at);
            for (String name : TestArch.layout().names()) {
                assertTrue(dump.contains(name + " "), name + " in the dump:\n" + dump);
            }
            long ip = dumpedIp(dump);
            long stub0 = p.facts().stubAddress();
            assertTrue(ip >= stub0 && ip < stub0 + p.facts().stubLength(),
                    String.format("the thread died at the stub's syscall: ip 0x%x, stub 0x%x", ip, stub0));
            stub.close();
        }
    }

    @Test
    void aFaultInAStubIsFatalAndReportedWithTheRegistersOfTheFault() throws Exception {
        try (StubPlatformImpl p = TestArch.platform(Settings.defaults())) {
            StubImpl stub = (StubImpl) p.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
            Tracee t = stub.tracee;
            int ipIndex = t.regs.layout.instructionPointerIndex();
            long nowhere = 0x1000; // below mmap_min_addr: never mapped
            StubDiedException e = org.junit.jupiter.api.Assertions.assertThrows(StubDiedException.class,
                    () -> t.owner.call(() -> t.syscall(t.initRegs().with(ipIndex, nowhere), "a jump to 0x1000")));
            String msg = e.getMessage();
            assertTrue(msg.contains("during a jump to 0x1000"), msg);
            assertTrue(msg.contains("after an unexpected SIGSEGV stop (the same fault " + FaultWatch.REPEATS
                    + " times at one instruction: Tether killed it); registers at that stop:"), msg);
            String faultDump = msg.substring(msg.indexOf("registers at that stop:"));
            if (faultDump.contains("registers at its PTRACE_EVENT_EXIT")) {
                // Linux >= 5.x skips that stop for a task being SIGKILLed; older kernels report it
                faultDump = faultDump.substring(0, faultDump.indexOf("registers at its PTRACE_EVENT_EXIT"));
            }
            assertEquals(nowhere, dumpedIp(faultDump), "the dump shows where it faulted:\n" + faultDump);
            assertEquals(Signals.SIGKILL, e.termSignal(), msg);
            assertFalse(stub.alive());
            assertFalse(Files.exists(Path.of("/proc/" + stub.pid())), "the faulting stub was reaped");
            stub.close();
        }
    }
}
