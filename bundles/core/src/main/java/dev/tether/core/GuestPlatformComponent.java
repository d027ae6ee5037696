package dev.tether.core;

import dev.tether.api.StubPlatform;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestPlatform;
import dev.tether.spi.GuestArch;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Registers the ptrace {@link GuestPlatform} ({@value GuestPlatform#PLATFORM_PROPERTY}={@value GuestPlatformImpl#MECHANISM})
 * while this bundle's stub platform and the host arch's {@link GuestArch} are there. Address spaces are
 * subprocesses of whatever platform the stub platform component runs now (it may be replaced by a
 * configuration change).
 */
@Component(service = GuestPlatform.class, property = GuestPlatform.PLATFORM_PROPERTY + "=" + GuestPlatformImpl.MECHANISM)
public final class GuestPlatformComponent implements GuestPlatform {
    @Reference(target = "(objectClass=dev.tether.api.StubPlatform)")
    private StubPlatform stubs;
    @Reference
    private GuestArch arch;
    private GuestPlatformImpl impl;

    public GuestPlatformComponent() {
    }

    @Activate
    void activate(Map<String, Object> properties) {
        if (!(stubs instanceof StubPlatformComponent)) {
            throw new IllegalStateException("the StubPlatform service is not the core bundle's (" + stubs.getClass().getName()
                    + "): no ptrace guest platform");
        }
        StubPlatformComponent component = (StubPlatformComponent) stubs;
        impl = new GuestPlatformImpl(component::platform, arch);
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
}
