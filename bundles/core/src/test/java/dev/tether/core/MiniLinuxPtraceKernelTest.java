package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.guest.kernel.e2e.MiniLinuxGuestContract;
import dev.tether.linux.Sys;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guest kernel's end-to-end contract (real static programs: glibc hello, static-PIE, faults,
 * granted files, interrupts, FP across syscalls, Debian's busybox-static against native runs) on this
 * bundle's ptrace GuestPlatform, for real. CPUID faulting is off, as for {@code tether run}: MiniLinux
 * lets guests see the host's CPUID.
 */
@ExtendWith(NoLeftoverProcesses.class)
class MiniLinuxPtraceKernelTest extends MiniLinuxGuestContract {

    @Override
    protected Wiring wire() {
        StubPlatformImpl platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0).withCpuidFaulting(false));
        GuestPlatformImpl guests = new GuestPlatformImpl(platform, TestArch.guestArch());
        return Wiring.of(guests, TestArch.table(), TestArch.linuxAbi(), platform.facts().stubAddress(), Sys.pageSize(), platform::close);
    }
}
