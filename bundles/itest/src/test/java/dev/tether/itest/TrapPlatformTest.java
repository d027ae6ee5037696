package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.tether.api.HostArch;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.GuestPlatform;
import dev.tether.seccomp.SyscallTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The trap GuestPlatform service in the real bundles (docs/trap.md): registered by {@code dev.tether.trap}
 * beside core's ptrace one, below it in ranking, a guest's system call reaches Java through it, and
 * stopping the trap bundle while a guest runs ends that guest's switch with a typed error and leaves no
 * process; started again, the bundle registers the platform again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TrapPlatformTest extends TetherTestSupport {
    private static final String TRAP = "(" + GuestPlatform.PLATFORM_PROPERTY + "=trap)";
    /** How long a stopped bundle's guests may take to see the stop (the trap switch sleeps at most 50 ms between checks). */
    private static final long STOP_SECONDS = 10;

    @Inject
    private SyscallTable table;

    /** {@code nr; syscall; spin} for the host arch (Intel SDM vol. 2; Arm ARM A64), or only the spin for nr < 0. */
    private static byte[] guestCode(int nr) {
        if (HostArch.current() == HostArch.amd64) {
            byte[] spin = {(byte) 0xeb, (byte) 0xfe}; // jmp .
            if (nr < 0) {
                return spin;
            }
            return new byte[] {(byte) 0xb8, (byte) nr, (byte) (nr >> 8), 0, 0, 0x0f, 0x05, spin[0], spin[1]}; // mov $nr,%eax; syscall
        }
        int[] insns = nr < 0 ? new int[] {0x14000000} // b .
                : new int[] {0xd2800008 | (nr << 5), 0xd4000001, 0x14000000}; // movz x8, #nr; svc #0; b .
        byte[] b = new byte[4 * insns.length];
        for (int i = 0; i < insns.length; i++) {
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (insns[i] >>> (8 * k));
            }
        }
        return b;
    }

    private static GuestContext load(GuestAddressSpace space, byte[] code) {
        Subprocess sp = space.subprocess();
        long text = sp.mapAnonymous(0, 4096, 7); // PROT_READ | PROT_WRITE | PROT_EXEC
        sp.write(text, code, 0, code.length);
        GuestContext c = space.newContext();
        c.setInstructionPointer(text);
        return c;
    }

    @Test
    public void theTrapPlatformIsRegisteredBelowPtraceAndTrapsAGuestsSystemCall() throws Exception {
        ServiceReference<?> ref = awaitService(GuestPlatform.class, TRAP);
        assertNotNull("the trap GuestPlatform service is registered", ref);
        assertEquals("ptrace stays the default: trap ranks below it", -1, ref.getProperty(Constants.SERVICE_RANKING));
        GuestPlatform trap = (GuestPlatform) context.getService(ref);
        try {
            assertEquals("trap", trap.mechanism());
            assertEquals(HostArch.current().archName(), trap.arch());
            int getpid = table.number("getpid").orElseThrow();
            try (GuestAddressSpace space = trap.newAddressSpace()) {
                GuestEvent e = load(space, guestCode(getpid)).switchTo();
                assertTrue("a syscall event, got " + e, e instanceof GuestEvent.Syscall);
                assertEquals(getpid, ((GuestEvent.Syscall) e).number());
            }
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void stoppingTheTrapBundleEndsARunningGuestsSwitchWithATypedErrorAndLeavesNoProcess() throws Exception {
        ServiceReference<?> ref = awaitService(GuestPlatform.class, TRAP);
        assertNotNull("the trap GuestPlatform service is registered", ref);
        GuestPlatform trap = (GuestPlatform) context.getService(ref);
        Bundle bundle = bundle("dev.tether.trap");
        int pid;
        CompletableFuture<GuestEvent> run;
        try {
            GuestAddressSpace space = trap.newAddressSpace();
            pid = space.subprocess().pid();
            GuestContext c = load(space, guestCode(-1));
            run = CompletableFuture.supplyAsync(c::switchTo); // a guest that spins, never calling the kernel
            try {
                GuestEvent early = run.get(300, TimeUnit.MILLISECONDS);
                fail("a spinning guest's switch ended by itself: " + early);
            } catch (TimeoutException expected) {
                // it runs
            }
            assertTrue("the guest's subprocess " + pid + " exists while it runs", Files.exists(Path.of("/proc/" + pid)));
            bundle.stop();
        } finally {
            context.ungetService(ref);
        }
        try {
            try {
                GuestEvent e = run.get(STOP_SECONDS, TimeUnit.SECONDS);
                fail("the switch of a guest of a stopped platform returned " + e);
            } catch (ExecutionException e) {
                assertTrue("a typed error, got " + e.getCause(), e.getCause() instanceof PlatformClosedException);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_SECONDS);
            while (Files.exists(Path.of("/proc/" + pid)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse("the guest's subprocess " + pid + " is gone (killed and reaped)", Files.exists(Path.of("/proc/" + pid)));
            assertTrue("no trap GuestPlatform while its bundle is stopped", context.getServiceReferences(GuestPlatform.class, TRAP).isEmpty());
        } finally {
            bundle.start();
        }
        assertNotNull("the trap platform is registered again once its bundle starts", awaitService(GuestPlatform.class, TRAP));
    }
}
