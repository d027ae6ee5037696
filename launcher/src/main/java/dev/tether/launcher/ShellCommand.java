package dev.tether.launcher;

import java.util.concurrent.Callable;
import org.osgi.framework.Bundle;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tether shell}: the embedded framework with Gogo's interactive shell on stdin/stdout.
 * The shell stops the framework on {@code exit} or end of input. While it runs, MBean services are
 * in the JVM's platform MBeanServer ({@link ShellServices}).
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"Boot Felix with all bundles and an interactive Gogo shell.",
            "Try lb, scr:list, help, tether:info, tether:spawn, tether:stubs, tether:inject <pid> getpid.",
            "Type `exit` or end the input (Ctrl-D) to stop the framework."})
final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    Invocation root;

    @Override
    public Integer call() throws InterruptedException {
        try (EmbeddedFelix felix = EmbeddedFelix.boot(root.runtimeHome(), true)) {
            for (Bundle b : felix.bundles()) {
                if (b.getState() != Bundle.ACTIVE && !EmbeddedFelix.isFragment(b)) {
                    String unmet = felix.unmetNativeRequirement(b);
                    root.err().printf("tether shell: %s %s%n", b.getSymbolicName(), unmet != null
                            ? "is not for this host (requires " + unmet + ")"
                            : "did not start: " + felix.startFailure(b));
                }
            }
            try (ShellServices extras = ShellServices.start(felix.framework())) {
                felix.waitForStop();
            }
        }
        return ExitCode.OK;
    }
}
