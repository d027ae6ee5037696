package dev.tether.trap;

import dev.tether.api.StubPlatform;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.spi.StubThreads;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.TrapArch;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Registers the trap {@link GuestPlatform} ({@value GuestPlatform#PLATFORM_PROPERTY}={@value TrapGuestPlatform#MECHANISM})
 * while a stub platform, core's {@link StubThreads} and the host arch's services (with a {@link TrapArch}:
 * amd64 and arm64) are there. Its service ranking is -1 unless configured, so ptrace (0) stays the default;
 * a consumer picks trap with the filter {@code (tether.platform=trap)} or a configured ranking above 0.
 * Stopping the bundle (or losing a reference) closes every trap address space: running switches throw
 * {@link dev.tether.api.PlatformClosedException} and no process is left.
 */
@Component(service = GuestPlatform.class, configurationPid = TrapPlatformComponent.PID,
        property = {GuestPlatform.PLATFORM_PROPERTY + "=" + TrapGuestPlatform.MECHANISM, "service.ranking:Integer=-1"})
@Designate(ocd = TrapPlatformConfig.class)
public final class TrapPlatformComponent implements GuestPlatform {
    /** The configuration PID. */
    public static final String PID = "dev.tether.trap";

    @Reference(target = "(objectClass=dev.tether.api.StubPlatform)")
    private StubPlatform stubs;
    @Reference
    private StubThreads threads;
    @Reference
    private GuestArch guestArch;
    @Reference
    private TrapArch trapArch;
    @Reference
    private RegisterLayout layout;
    @Reference
    private SyscallTable table;
    private TrapGuestPlatform impl;

    public TrapPlatformComponent() {
    }

    @Activate
    void activate(TrapPlatformConfig config) {
        impl = new TrapGuestPlatform(stubs, threads, guestArch, trapArch, layout, table, config.spinMicros());
    }

    @Deactivate
    void deactivate() {
        impl.close();
    }

    @Override
    public String mechanism() {
        return impl.mechanism();
    }

    @Override
    public String arch() {
        return impl.arch();
    }

    @Override
    public GuestAddressSpace newAddressSpace() {
        return impl.newAddressSpace();
    }

    @Override
    public long guestLimit(long stubAddress) {
        return impl.guestLimit(stubAddress);
    }
}
