package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.Sys;
import dev.tether.trap.TrapGuestPlatform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Where the two sides of a trap round trip run (docs/trap.md, section 8), seen from /proc: blocking
 * (no spin budget), the guest thread is bound to the CPU its Java thread is bound to for the switch;
 * spinning (a budget and two usable CPUs), it may run anywhere but there, and in a steady state a round
 * trip puts neither side to sleep (no FUTEX_WAIT: no voluntary context switch, proc(5)).
 */
@ExtendWith(NoLeftoverProcesses.class)
class TrapPlacementKernelTest {
    static StubPlatformImpl platform;
    /** Round trips per measured window. */
    static final int WINDOW = 1000;

    @BeforeAll
    static void start() {
        platform = TrapTesting.platform(false);
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** A guest that calls getpid forever: the number, the system call, a jump back over both. */
    static GuestContext getpidLoop(GuestAddressSpace space) {
        TrapMechanismKernelTest.Code code = new TrapMechanismKernelTest.Code().number(GuestCode.GETPID).syscall()
                .back(TrapMechanismKernelTest.Code.SYSCALL_BLOCK);
        return TrapMechanismKernelTest.load(space, code);
    }

    static void roundTrip(GuestContext c) {
        assertEquals(GuestCode.GETPID, assertInstanceOf(GuestEvent.Syscall.class, c.switchTo()).number());
    }

    /** The subprocess's only untraced thread: the guest thread (every stub thread is traced by its tracer). */
    static int guestTid(int pid) {
        List<Integer> found = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                if (status(t, "TracerPid") == 0) {
                    found.add(Integer.parseInt(t.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(1, found.size(), "untraced threads of subprocess " + pid + ": " + found);
        return found.get(0);
    }

    /** A numeric field of /proc/.../status (proc(5)). */
    static long status(Path task, String field) {
        try {
            for (String line : Files.readAllLines(task.resolve("status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + field + " in " + task + "/status");
    }

    /** Field 39 of /proc/.../stat, "processor": the CPU the thread last ran on (proc(5)). */
    static int lastCpu(int pid, int tid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/stat"));
        String[] after = s.substring(s.lastIndexOf(')') + 2).split(" "); // field 3 onwards (comm may hold spaces)
        return Integer.parseInt(after[39 - 3]);
    }

    /** The one CPU in {@code mask}, or -1 if it holds more or none. */
    static int single(long[] mask) {
        int cpu = -1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0) {
                if (cpu >= 0 || Long.bitCount(mask[i]) != 1) {
                    return -1;
                }
                cpu = i * 64 + Long.numberOfTrailingZeros(mask[i]);
            }
        }
        return cpu;
    }

    /**
     * Blocking: after a switch the Java thread is still bound to the switch's CPU (kept ~1 ms), and the
     * guest thread, asleep in its handler, is bound to that same CPU and last ran there.
     */
    @Test
    void blockingBothSidesRunOnOneCpu() throws IOException {
        TrapGuestPlatform trap = TrapTesting.trap(platform, 0);
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            assertEquals(0, trap.spinNanos());
            GuestContext c = getpidLoop(space);
            roundTrip(c);
            int pid = space.subprocess().pid();
            int guest = guestTid(pid);
            int checked = 0;
            for (int i = 0; i < 3 * WINDOW; i++) {
                roundTrip(c);
                int java = single(Sys.getAffinity(0));
                if (java < 0) {
                    continue; // one switch in ~1000 runs unbound (rebalancing): nothing placed for it
                }
                if (i % 100 == 0) {
                    assertEquals(java, single(Sys.getAffinity(guest)), "the guest thread is bound to the Java thread's CPU");
                    assertEquals(java, lastCpu(pid, guest), "and ran there");
                    checked++;
                }
            }
            assertTrue(checked > 0, "no switch ran bound");
        } finally {
            trap.close();
        }
    }

    /**
     * Spinning with two usable CPUs: the guest thread may run on every usable CPU but the Java thread's,
     * and in a steady state neither side sleeps. The machine is shared, so a window of {@value #WINDOW}
     * round trips passes when under 5% of them slept on either side, and some window within ~10 s must
     * (a window lasts a few ms: under a load of 8-40 other tasks, measured here, most windows still pass).
     */
    @Test
    void spinningTheSidesRunApartAndDoNotSleep() throws IOException {
        TrapGuestPlatform trap = TrapTesting.trap(platform, TrapGuestPlatform.GVISOR_SPIN_MICROS);
        int cpus = 0;
        for (long w : Sys.getAffinity(Sys.getpid())) {
            cpus += Long.bitCount(w);
        }
        if (cpus < 2) {
            // one usable CPU: no spinning at all (both sides would only take turns), so the blocking placement
            assertEquals(0, trap.spinNanos(), "no spin budget on one CPU");
            trap.close();
            blockingBothSidesRunOnOneCpu();
            return;
        }
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            assertEquals(TrapGuestPlatform.GVISOR_SPIN_MICROS * 1000, trap.spinNanos());
            GuestContext c = getpidLoop(space);
            roundTrip(c);
            int pid = space.subprocess().pid();
            int guest = guestTid(pid);
            Path guestTask = Path.of("/proc/" + pid + "/task/" + guest);
            Path me = Path.of("/proc/thread-self");
            long deadline = System.nanoTime() + 10_000_000_000L;
            String best = "none";
            long bestSlept = Long.MAX_VALUE;
            int apartSeen = 0;
            while (System.nanoTime() < deadline) {
                long g0 = status(guestTask, "voluntary_ctxt_switches");
                long j0 = status(me, "voluntary_ctxt_switches");
                for (int i = 0; i < WINDOW; i++) {
                    roundTrip(c);
                }
                long g = status(guestTask, "voluntary_ctxt_switches") - g0;
                long j = status(me, "voluntary_ctxt_switches") - j0;
                int java = single(Sys.getAffinity(0));
                long[] guestMask = Sys.getAffinity(guest);
                if (java >= 0 && (guestMask[java >>> 6] & (1L << (java & 63))) == 0) {
                    apartSeen++;
                    assertNotEquals(java, lastCpu(pid, guest), "the guest thread last ran off the Java thread's CPU");
                }
                if (g + j < bestSlept) {
                    bestSlept = g + j;
                    best = "guest slept " + g + ", Java " + j + " times in " + WINDOW + " round trips";
                }
                if (g < WINDOW / 20 && j < WINDOW / 20 && apartSeen > 0) {
                    return;
                }
            }
            fail("no window of " + WINDOW + " spinning round trips without sleeps within 10 s (best: " + best + "; windows seen"
                    + " apart: " + apartSeen + "; load: " + Files.readString(Path.of("/proc/loadavg")).trim() + ")");
        } finally {
            trap.close();
        }
    }
}
