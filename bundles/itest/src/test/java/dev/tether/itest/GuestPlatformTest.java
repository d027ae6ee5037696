package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.GuestPlatform;
import dev.tether.seccomp.SyscallTable;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;

/**
 * The ptrace GuestPlatform service in the real bundles: registered by core next to the stub platform,
 * chosen by its {@code tether.platform} property, and a guest's system call stops in Java.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GuestPlatformTest extends TetherTestSupport {

    @Inject
    private SyscallTable table;

    /** {@code nr = getpid; syscall; spin} for the host arch (Intel SDM vol. 2; Arm ARM A64). */
    private byte[] guestCode(int nr) {
        if (HostArch.current() == HostArch.amd64) {
            return new byte[] {(byte) 0xb8, (byte) nr, 0, 0, 0, 0x0f, 0x05, (byte) 0xeb, (byte) 0xfe}; // mov $nr,%eax; syscall; jmp .
        }
        int[] insns = {0xd2800000 | (nr << 5) | 8, 0xd4000001, 0x14000000}; // movz x8, #nr; svc #0; b .
        byte[] b = new byte[12];
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (insns[i] >>> (8 * k));
            }
        }
        return b;
    }

    @Test
    public void theGuestPlatformRunsAGuestWhoseSyscallStopsInJava() throws Exception {
        ServiceReference<?> ref = awaitService(GuestPlatform.class, "(" + GuestPlatform.PLATFORM_PROPERTY + "=ptrace)");
        assertNotNull("the ptrace GuestPlatform service is registered", ref);
        GuestPlatform guests = (GuestPlatform) context.getService(ref);
        try {
            assertEquals("ptrace", guests.mechanism());
            assertEquals(HostArch.current().archName(), guests.arch());
            int getpid = table.number("getpid").orElseThrow();
            try (GuestAddressSpace space = guests.newAddressSpace()) {
                Subprocess sp = space.subprocess();
                long text = sp.mapAnonymous(0, 4096, 5); // PROT_READ | PROT_EXEC after the write below
                byte[] code = guestCode(getpid);
                sp.protect(text, 4096, 7);
                sp.write(text, code, 0, code.length);
                GuestContext c = space.newContext();
                c.setInstructionPointer(text);
                GuestEvent e = c.switchTo();
                assertTrue("a syscall event, got " + e, e instanceof GuestEvent.Syscall);
                assertEquals(getpid, ((GuestEvent.Syscall) e).number());
            }
        } finally {
            context.ungetService(ref);
        }
    }
}
