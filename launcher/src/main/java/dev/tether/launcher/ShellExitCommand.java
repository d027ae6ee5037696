package dev.tether.launcher;

import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;

/**
 * {@code exit} in {@code tether shell}: registered by {@link ShellServices} as the Gogo command
 * {@code gogo:exit}, which the shell finds first (its profile sets {@code SCOPE = 'gogo:*'}).
 * Without it, {@code exit} resolves to {@code System.exit(int)} (the profile adds the methods of
 * {@code java.lang.System} as commands): bare {@code exit} then fails with "Cannot coerce exit() to
 * any of [(int)]", and {@code exit 0} kills the JVM without stopping the framework. Public, with
 * public methods: Gogo calls them by reflection.
 */
public final class ShellExitCommand {
    private final Framework framework;

    ShellExitCommand(Framework framework) {
        this.framework = framework;
    }

    /** Stops the framework (its platform tears every stub down); the shell ends with it. */
    public void exit() throws BundleException {
        framework.stop(); // asynchronous: returns at once, the launcher waits for the stop
    }

    /** {@link #exit()}; the status is ignored (the launcher's own exit code is 0 after a clean stop). */
    public void exit(int status) throws BundleException {
        exit();
    }
}
