package dev.tether.guest;

/**
 * A mechanism that runs guest code and traps its system calls into Java (an OSGi service). The
 * ptrace mechanism ({@code tether.platform=ptrace}, gVisor's {@code pkg/sentry/platform/ptrace}) is
 * registered by the core bundle while a stub platform runs; other mechanisms may be registered beside
 * it by other bundles. Consumers choose one with a filter on {@value #PLATFORM_PROPERTY}, or take the
 * highest {@code service.ranking}.
 */
@org.osgi.annotation.versioning.ProviderType
public interface GuestPlatform {

    /** The service property naming the mechanism, e.g. {@code ptrace}. */
    String PLATFORM_PROPERTY = "tether.platform";

    /** The mechanism, as in {@value #PLATFORM_PROPERTY}. */
    String mechanism();

    /** The architecture guests run on (the host's): {@code amd64} or {@code arm64}. */
    String arch();

    /**
     * A fresh, empty address space: a subprocess holding only the stub page. Close it when done;
     * contexts running in it then end with {@link GuestEvent.Exited}.
     *
     * @throws dev.tether.api.PlatformClosedException if the platform behind this service is closed
     */
    GuestAddressSpace newAddressSpace();

    /**
     * The end (exclusive) of the addresses a guest's own mappings may use in this platform's address
     * spaces, when the stub page is at {@code stubAddress} ({@link dev.tether.api.PlatformFacts#stubAddress()}):
     * the stub page itself for ptrace; lower where a platform maps pages of its own below it (trap:
     * docs/trap.md, section 2).
     */
    default long guestLimit(long stubAddress) {
        return stubAddress;
    }
}
