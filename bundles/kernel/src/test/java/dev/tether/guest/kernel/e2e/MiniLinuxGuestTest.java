package dev.tether.guest.kernel.e2e;

/**
 * {@link MiniLinuxGuestContract} on the platform named by the system property
 * {@value #WIRING_PROPERTY}: a class with a public no-argument constructor implementing
 * {@link MiniLinuxGuestContract.Wiring} (e.g. one that starts a stub platform and takes its ptrace
 * {@code GuestPlatform}), on the test class path. Not part of the default build: the kernel bundle's
 * {@code guest-e2e} profile runs it ({@code mvn -Pguest-e2e ... -Dtether.guest.wiring=...}), since no
 * GuestPlatform exists in this module's class path.
 */
class MiniLinuxGuestTest extends MiniLinuxGuestContract {
    static final String WIRING_PROPERTY = "tether.guest.wiring";

    @Override
    protected Wiring wire() throws Exception {
        String name = System.getProperty(WIRING_PROPERTY);
        if (name == null || name.isBlank()) {
            throw new IllegalStateException("no guest platform wired: set -D" + WIRING_PROPERTY
                    + "=<class implementing MiniLinuxGuestContract.Wiring> (the guest-e2e profile's job)");
        }
        return (Wiring) Class.forName(name).getConstructor().newInstance();
    }
}
