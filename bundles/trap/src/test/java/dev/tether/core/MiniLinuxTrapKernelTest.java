package dev.tether.core;

import dev.tether.guest.kernel.e2e.MiniLinuxGuestContract;
import dev.tether.linux.Sys;
import dev.tether.trap.TrapGuestPlatform;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guest kernel's end-to-end contract (glibc hello, static-PIE, faults, granted files, interrupts,
 * FP across syscalls, Debian's busybox-static against native runs) on the trap platform, as
 * MiniLinuxPtraceKernelTest runs it on ptrace. CPUID faulting is off, as for {@code tether run}.
 */
@ExtendWith(NoLeftoverProcesses.class)
class MiniLinuxTrapKernelTest extends MiniLinuxGuestContract {

    @Override
    protected Wiring wire() {
        StubPlatformImpl platform = TrapTesting.platform(false);
        TrapGuestPlatform trap = TrapTesting.trap(platform, TrapGuestPlatform.DEFAULT_SPIN_MICROS);
        return Wiring.of(trap, TestArch.table(), TestArch.linuxAbi(), trap.guestLimit(platform.facts().stubAddress()), Sys.pageSize(),
                () -> {
                    trap.close();
                    platform.close();
                });
    }
}
