package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.gogo;
import static dev.tether.itest.InContainer.running;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.spi.RegisterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * Every {@code tether:} command through Gogo's CommandProcessor, with its output checked against
 * the platform and /proc; the console tears down what it made when it stops; nothing is left.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsoleCommandsTest extends TetherTestSupport {
    private static final Pattern PID = Pattern.compile("^\\d+$");

    @Inject
    private CommandProcessor processor;

    @Test
    public void everyCommandWorksAndLeavesNothing() throws Exception {
        HostArch host = HostArch.current();
        StubPlatform platform = platform();
        String jvm = Long.toString(ProcessHandle.current().pid());

        String info = gogo(processor, "tether:info").text();
        assertTrue(info, info.contains("Tether stub platform"));
        assertTrue(info, info.matches("(?s).*arch\\s+" + host.archName() + "\n.*"));
        assertTrue(info, info.matches("(?s).*failure mode\\s+contained\n.*"));
        assertTrue(info, info.matches("(?s).*pool size\\s+16\n.*"));
        assertTrue(info, info.contains(String.format("0x%x", platform.facts().stubAddress())));
        assertTrue("the counters of dev.tether:type=Platform: " + info, info.contains("Counters (MBean dev.tether:type=Platform)"));

        // spawn: a subprocess, then a stub; the result is the pid
        int sub = pid(gogo(processor, "tether:spawn"));
        int stub = pid(gogo(processor, "tether:spawn stub"));
        assertTrue("subprocess " + sub + " runs", running(sub));
        assertTrue("stub " + stub + " runs", running(stub));
        assertTrue("the platform lists subprocess " + sub, platform.subprocesses().stream().anyMatch(s -> s.pid() == sub));
        assertTrue("the platform lists stub " + stub, platform.stubs().stream().anyMatch(s -> s.pid() == stub));

        String stubs = gogo(processor, "tether:stubs").text();
        // t (stopped under ptrace), or R while the subprocess's owner clones the spare stub thread for the
        // next caller in the background (SubprocessImpl.prepareSpare), which a loaded machine shows
        assertTrue(stubs, stubs.matches("(?s).*\nsubprocess\\s+" + sub + "\\s+[tR]\\s+console\\s+" + sub + ":\\S+ \\d+:tether-console\n.*"));
        assertTrue(stubs, stubs.matches("(?s).*\nstub\\s+" + stub + "\\s+t\\s+console\\s+" + stub + ":tether-tracer.*"));

        // inject: by name, by number, with arguments, with an errno result
        assertEquals("getpid() = " + sub, gogo(processor, "tether:inject " + sub + " getpid").text().trim());
        assertEquals("getppid() = " + jvm, gogo(processor, "tether:inject " + stub + " getppid").text().trim());
        int getpid = platform.syscallNumber("getpid");
        assertEquals("getpid() = " + stub, gogo(processor, "tether:inject " + stub + " " + getpid).text().trim());
        // munmap is in the stub policy; an unaligned address fails with EINVAL
        assertEquals("munmap(0x1001, 4096) = -22 (EINVAL)", gogo(processor, "tether:inject " + sub + " munmap 0x1001 4096").text().trim());
        String mmap = gogo(processor, "tether:inject " + sub + " mmap 0 4096 3 0x22 -1 0").text().trim();
        assertTrue(mmap, mmap.matches("mmap\\(0, 4096, 3, 0x22, -1, 0\\) = \\d+"));

        // regs: the instruction pointer sits on the stub's syscall instruction
        String regs = gogo(processor, "tether:regs " + stub).text();
        String ip = ipName();
        assertTrue(regs, regs.startsWith("stub " + stub + " (" + host.archName() + ")"));
        Matcher m = Pattern.compile("(?m)\\b" + ip + "\\s+([0-9a-f]{16})").matcher(regs);
        assertTrue(ip + " in " + regs, m.find());
        long ipValue = Long.parseUnsignedLong(m.group(1), 16);
        assertTrue(String.format("%s 0x%x within the stub page", ip, ipValue), ipValue >= platform.facts().stubAddress()
                && ipValue < platform.facts().stubAddress() + platform.facts().stubLength());
        assertTrue(gogo(processor, "tether:regs " + sub).text().startsWith("subprocess " + sub + " (" + host.archName() + ")"));

        // bad input: clear errors, nothing changes
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:inject 1 getpid"));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains("no stub or subprocess 1 made by tether:spawn"));
        IllegalArgumentException badName = assertThrows(IllegalArgumentException.class,
                () -> gogo(processor, "tether:inject " + sub + " no_such_call"));
        assertTrue(badName.getMessage(), badName.getMessage().contains("no_such_call"));
        IllegalArgumentException badArg = assertThrows(IllegalArgumentException.class,
                () -> gogo(processor, "tether:inject " + sub + " munmap zz"));
        assertTrue(badArg.getMessage(), badArg.getMessage().contains("\"zz\" is not a number"));
        IllegalArgumentException badKind = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:spawn thread"));
        assertTrue(badKind.getMessage(), badKind.getMessage().contains("unknown kind \"thread\""));

        // a syscall outside the stub policy: seccomp kills the stub, the command says so, the console forgets it
        int doomed = pid(gogo(processor, "tether:spawn stub"));
        StubDiedException died = assertThrows(StubDiedException.class, () -> gogo(processor, "tether:inject " + doomed + " getuid"));
        assertEquals("killed by SIGSYS: " + died.getMessage(), 31, died.termSignal());
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:regs " + doomed));
        assertTrue(gone.getMessage(), gone.getMessage().contains("stub " + doomed + " is gone"));

        // kill
        assertEquals("killed subprocess " + sub, gogo(processor, "tether:kill " + sub).text().trim());
        assertFalse("subprocess " + sub + " is gone", running(sub));
        assertFalse(platform.subprocesses().stream().anyMatch(s -> s.pid() == sub));
        assertEquals("killed stub " + stub, gogo(processor, "tether:kill " + stub).text().trim());
        assertFalse("stub " + stub + " is gone", running(stub));
        assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:kill " + stub));

        // policy and explain
        String policy = gogo(processor, "tether:policy").text();
        assertTrue(policy, policy.startsWith("{"));
        assertTrue(policy, policy.contains("\"defaultAction\": \"" + platform.facts().defaultAction() + "\""));
        assertTrue(policy, policy.contains("{\"name\": \"clone\""));
        assertTrue("contained mode: exit signal 0 " + policy, policy.contains("\"0x400\""));
        String listing = gogo(processor, "tether:policy listing").text();
        assertTrue(listing, listing.startsWith("# stub filter for " + host.archName() + " (contained mode, default action "));
        Matcher size = Pattern.compile("(\\d+) instructions").matcher(listing);
        assertTrue(listing, size.find());
        long lines = listing.lines().filter(l -> l.matches("\\d+: .*")).count();
        assertEquals("one listing line per instruction", Long.parseLong(size.group(1)), lines);
        String explain = gogo(processor, "tether:explain 3").text();
        assertTrue(explain, explain.contains(size.group(1) + " instructions"));
        assertTrue(explain, explain.contains("(limit 4096)"));
        assertEquals("three costliest syscalls listed: " + explain, 3,
                explain.lines().dropWhile(l -> !l.startsWith("nr ")).skip(1).count());
        assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:policy yaml"));

        // the demo still works
        String demo = gogo(processor, "tether:demo").text();
        assertTrue(demo, demo.contains("Processes left behind: none"));

        // tether:bench belongs to the benchmarks; when the shell bundle has it, it is a registered command
        Bundle shell = bundle("dev.tether.shell");
        if (shell.getEntry("dev/tether/shell/BenchCommand.class") != null) {
            assertNotNull("tether:bench is registered",
                    context.getServiceReferences((String) null, "(&(osgi.command.scope=tether)(osgi.command.function=bench))"));
        }

        Bundle arch = bundle(host.bundleSymbolicName());
        arch.stop();
        assertEquals("no process left behind", List.of(), StubPlatformTest.leftovers());
    }

    /**
     * The Gogo functions print (return nothing), take --help without running, and tether:health
     * prints the checks: as in Karaf, where a returned value is not shown over ssh.
     */
    @Test
    public void theCommandsPrintTakeHelpAndReportHealth() throws Exception {
        StubPlatform platform = platform();
        int subprocesses = platform.subprocesses().size();
        int stubs = platform.stubs().size();
        InContainer.Gogo usage = gogo(processor, "tether:spawn --help");
        assertEquals("printed, not returned", null, usage.result());
        assertTrue(usage.output(), usage.output().startsWith("usage: tether:spawn [subprocess|stub]\n"));
        assertTrue(usage.output(), usage.output().contains("KIND  subprocess (default) or stub"));
        assertEquals("--help spawned nothing", subprocesses, platform.subprocesses().size());
        assertEquals("--help spawned nothing", stubs, platform.stubs().size());
        for (String command : List.of("info", "inject", "stubs", "regs", "kill", "policy", "explain", "demo", "health")) {
            String help = gogo(processor, "tether:" + command + " --help").output();
            assertTrue(command + ": " + help, help.startsWith("usage: tether:" + command));
            assertFalse(command + ": " + help, help.contains("Cannot coerce"));
        }
        assertTrue(gogo(processor, "tether:bench --help").output().contains("guest_syscall"));

        InContainer.Gogo spawned = gogo(processor, "tether:spawn");
        assertEquals("printed, not returned", null, spawned.result());
        int sub = pid(spawned);
        InContainer.Gogo injected = gogo(processor, "tether:inject " + sub + " getpid");
        assertEquals(null, injected.result());
        assertEquals("getpid() = " + sub + "\n", injected.output());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:kill 1 2"));
        assertTrue(tooMany.getMessage(), tooMany.getMessage().startsWith("tether:kill: too many arguments (2)\nusage: tether:kill PID"));
        IllegalArgumentException notPid = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:regs x"));
        assertTrue(notPid.getMessage(), notPid.getMessage().startsWith("tether:regs: PID \"x\" is not a number"));
        gogo(processor, "tether:kill " + sub);

        InContainer.Gogo health = gogo(processor, "tether:health");
        assertEquals(null, health.result());
        assertTrue(health.output(), health.output().startsWith("Tether health: OK\n"));
        assertTrue(health.output(), health.output().contains("\n  OK       ptrace: "));
        assertTrue(health.output(), health.output().contains("\n  OK       platform: running on " + HostArch.current().archName()));

        // without the arch bundle the platform check is CRITICAL: the command prints it and fails
        Bundle arch = bundle(HostArch.current().bundleSymbolicName());
        arch.stop();
        try {
            IllegalStateException down = assertThrows(IllegalStateException.class, () -> gogo(processor, "tether:health"));
            assertTrue(down.getMessage(), down.getMessage().startsWith("tether:health: CRITICAL: "));
        } finally {
            arch.start();
        }
        assertEquals(List.of(), StubPlatformTest.leftovers().stream().filter(l -> l.startsWith(sub + " ")).toList());
    }

    /**
     * The sequence that once hung the console for good: a stub thread cloned by an injected clone
     * (flags the stub policy allows) is unknown to Tether, and tether:kill waited for the
     * subprocess's leader forever. Also a subprocess killed from outside: reaped as soon as a
     * command sees the death. Every command must come back, and the next ones work.
     */
    @Test
    public void killingASubprocessWithAnUnknownStubThreadOrOneKilledFromOutsideNeverHangs() throws Exception {
        int u = pid(gogo(processor, "tether:spawn"));
        String clone = gogo(processor, "tether:inject " + u + " clone 0x12f00 0 0 0 0").text().trim();
        assertTrue(clone, clone.matches("clone\\(0x12f00, 0, 0, 0, 0\\) = \\d+"));
        String killed = gogo(processor, "tether:kill " + u).text();
        assertFalse("subprocess " + u + " is gone after " + killed, running(u));
        assertTrue(gogo(processor, "tether:info").text().contains("Tether stub platform"));

        int a = pid(gogo(processor, "tether:spawn"));
        new ProcessBuilder("kill", "-9", Integer.toString(a)).start().waitFor();
        await("subprocess " + a + " killed", SERVICE_TIMEOUT_MS, () -> !running(a) || state(a).startsWith("t")
                || state(a).startsWith("Z"), () -> state(a));
        // the first command to touch it gets the typed death; it is reaped right then
        assertThrows(StubDiedException.class, () -> gogo(processor, "tether:inject " + a + " getpid"));
        await("subprocess " + a + " reaped", SERVICE_TIMEOUT_MS, () -> !Files.exists(Path.of("/proc/" + a)), () -> state(a));
        int b = pid(gogo(processor, "tether:spawn"));
        assertEquals("getpid() = " + b, gogo(processor, "tether:inject " + b + " getpid").text().trim());
        gogo(processor, "tether:kill " + b);
        assertFalse(running(b));
    }

    /**
     * The platform may notice a death on a thread of its own before any command touches the
     * handle (the background clone of a spare stub thread did, in CI). The first command must
     * still get the typed death, the next one says it is gone, and tether:kill of one found dead
     * says how it ended rather than "killed".
     */
    @Test
    public void aDeathThePlatformNoticedFirstIsStillReportedTypedByTheFirstCommand() throws Exception {
        StubPlatform platform = platform();
        int a = pid(gogo(processor, "tether:spawn"));
        killFromOutsideAndNotice(platform, a);
        StubDiedException died = assertThrows(StubDiedException.class, () -> gogo(processor, "tether:inject " + a + " getpid"));
        assertTrue(died.getMessage(), died.getMessage().contains("subprocess " + a + " is dead"));
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:regs " + a));
        assertTrue(gone.getMessage(), gone.getMessage().contains("subprocess " + a + " is gone"));

        int b = pid(gogo(processor, "tether:spawn"));
        killFromOutsideAndNotice(platform, b);
        String killed = gogo(processor, "tether:kill " + b).text().trim();
        assertTrue(killed, killed.startsWith("subprocess " + b + " had already ended (") && killed.endsWith("forgotten"));
        assertThrows(IllegalArgumentException.class, () -> gogo(processor, "tether:kill " + b));
        await("subprocess " + b + " reaped", SERVICE_TIMEOUT_MS, () -> !Files.exists(Path.of("/proc/" + b)), () -> state(b));
    }

    /** SIGKILLs subprocess {@code pid} and lets the platform find the death through this thread, not a command. */
    private static void killFromOutsideAndNotice(StubPlatform platform, int pid) throws Exception {
        Subprocess s = platform.subprocesses().stream().filter(x -> x.pid() == pid).findFirst().orElseThrow();
        new ProcessBuilder("kill", "-9", Integer.toString(pid)).start().waitFor();
        assertThrows(StubDiedException.class, () -> s.syscall("getpid"));
        assertFalse("the platform knows subprocess " + pid + " died", s.alive());
    }

    private static String state(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/stat")).replaceFirst("^.*\\) ", "");
        } catch (java.io.IOException e) {
            return "gone";
        }
    }

    @Test
    public void theConsoleTearsDownWhatItMadeWhenItStops() throws Exception {
        StubPlatform platform = platform();
        int sub = pid(gogo(processor, "tether:spawn"));
        int stub = pid(gogo(processor, "tether:spawn stub"));
        assertTrue(running(sub) && running(stub));
        Bundle shell = bundle("dev.tether.shell");
        shell.stop();
        try {
            assertFalse("subprocess " + sub + " was destroyed with the console", running(sub));
            assertFalse("stub " + stub + " was closed with the console", running(stub));
            assertTrue("the platform itself stays", platform.facts() != null);
            assertFalse(platform.subprocesses().stream().anyMatch(s -> s.pid() == sub));
        } finally {
            shell.start();
        }
        await("tether:info is back", SERVICE_TIMEOUT_MS, () -> {
            try {
                return gogo(processor, "tether:info").text().contains("Tether stub platform");
            } catch (Exception e) {
                return false;
            }
        }, () -> "");
    }

    @Test
    public void withoutAnArchBundleTheCommandsSaySo() throws Exception {
        Bundle arch = bundle(HostArch.current().bundleSymbolicName());
        int sub = pid(gogo(processor, "tether:spawn"));
        arch.stop();
        assertFalse("the platform took the console's subprocess " + sub + " down with it", running(sub));
        String info = gogo(processor, "tether:info").text();
        assertTrue(info, info.startsWith("No StubPlatform service: no arch bundle for this host is active."));
        assertTrue("the console forgot it: " + info, info.contains("Made by these commands: 0"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gogo(processor, "tether:spawn"));
        assertTrue(e.getMessage(), e.getMessage().contains("no arch bundle for this host is active"));
        assertEquals(List.of(), StubPlatformTest.leftovers());
    }

    private StubPlatform platform() throws InterruptedException {
        ServiceReference<?> ref = awaitService(StubPlatform.class, null);
        assertNotNull("StubPlatform service", ref);
        return (StubPlatform) context.getService(ref);
    }

    private String ipName() {
        ServiceReference<RegisterLayout> ref = context.getServiceReference(RegisterLayout.class);
        RegisterLayout layout = context.getService(ref);
        return layout.names().get(layout.instructionPointerIndex());
    }

    private static int pid(InContainer.Gogo g) {
        String text = g.text().trim();
        assertTrue("a pid: " + text, PID.matcher(text).matches());
        int pid = Integer.parseInt(text);
        assertTrue("/proc/" + pid, Files.exists(Path.of("/proc/" + pid)));
        return pid;
    }
}
