package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.spi.TrapArch;
import dev.tether.trap.TrapGuestPlatform;

/**
 * The trap platform on a flat class path for the trap bundle's kernel tests: core's stub platform and
 * StubThreadsImpl, the host's arch services (these tests live in core's test package to use its
 * TestArch, GuestCode and NoLeftoverProcesses from core's test-jar).
 */
final class TrapTesting {
    private TrapTesting() {
    }

    static TrapArch trapArch() {
        String name = TestArch.HOST.className("TrapArch");
        try {
            return (TrapArch) Class.forName(name).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no TrapArch for " + TestArch.ARCH + " (" + name + ")", e);
        }
    }

    static StubPlatformImpl platform(boolean cpuidFaulting) {
        return TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0).withCpuidFaulting(cpuidFaulting));
    }

    static TrapGuestPlatform trap(StubPlatformImpl platform, long spinMicros) {
        return new TrapGuestPlatform(platform, new StubThreadsImpl(), TestArch.guestArch(), trapArch(), TestArch.layout(),
                TestArch.table(), spinMicros);
    }
}
