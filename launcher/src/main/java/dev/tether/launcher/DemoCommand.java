package dev.tether.launcher;

import dev.tether.api.HostArch;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tether demo}: boots the embedded Felix with every bundle, shows what came up, runs
 * {@code tether:demo} through Gogo when the shell bundle provides it, and stops the framework.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Boot Felix with all Tether bundles and show what runs on this host.",
            "Shows each bundle's state and the arch services for this host, runs the Gogo command",
            "tether:demo (or, when the shell bundle does not provide it, prints the stub's seccomp",
            "policy for this host), then stops the framework."})
final class DemoCommand implements Callable<Integer> {
    static final String PREFIX = "dev.tether.";
    static final String SHELL_BUNDLE = "dev.tether.shell";

    @ParentCommand
    Invocation root;

    @Override
    public Integer call() {
        PrintStream out = root.out();
        HostArch host = SeccompSupport.hostArch();
        int problems = 0;
        try (EmbeddedFelix felix = EmbeddedFelix.boot(root.runtimeHome(), false)) {
            Bundle fw = felix.framework();
            out.printf("Tether demo on %s (osgi.native.processor=%s), Java %s%n%n", host,
                    felix.hostProcessor(), System.getProperty("java.version"));
            out.printf("Framework  %s %s  %s%n%n", fw.getSymbolicName(), fw.getVersion(), state(fw));

            List<Bundle> tether = new ArrayList<>();
            List<Bundle> others = new ArrayList<>();
            for (Bundle b : felix.bundles()) {
                (b.getSymbolicName().startsWith(PREFIX) ? tether : others).add(b);
            }
            int width = tether.stream().mapToInt(b -> b.getSymbolicName().length()).max().orElse(10);
            out.println("Tether bundles");
            for (Bundle b : tether) {
                String note = "";
                if (b.getState() != Bundle.ACTIVE) {
                    String unmet = felix.unmetNativeRequirement(b);
                    if (unmet != null) {
                        note = "  not for this host (requires " + unmet + ")";
                    } else {
                        problems++;
                        String why = felix.startFailure(b);
                        note = "  ERROR" + (why == null ? "" : ": " + why);
                    }
                }
                out.printf("  %-" + width + "s  %-16s %s%s%n", b.getSymbolicName(), b.getVersion(), state(b), note);
            }
            List<Bundle> notActive = new ArrayList<>();
            for (Bundle b : others) {
                if (b.getState() != Bundle.ACTIVE && !EmbeddedFelix.isFragment(b)) {
                    notActive.add(b);
                }
            }
            out.printf("  + %d runtime bundles (SCR, Config Admin, Metatype, Gogo, JNA, OSGi APIs): %s%n",
                    others.size(), notActive.isEmpty() ? "all ACTIVE" : notActive.size() + " not active");
            for (Bundle b : notActive) {
                problems++;
                String why = felix.startFailure(b);
                out.printf("    %s %s  %s%s%n", b.getSymbolicName(), b.getVersion(), state(b),
                        why == null ? "" : ": " + why);
            }

            out.println();
            out.println("Arch services (tether.arch)");
            List<ServiceReference<?>> arch = felix.services("(tether.arch=*)");
            if (arch.isEmpty()) {
                out.println("  none registered");
            }
            for (ServiceReference<?> r : arch) {
                out.printf("  %-6s %-44s from %s%n", r.getProperty("tether.arch"),
                        String.join(", ", (String[]) r.getProperty(Constants.OBJECTCLASS)),
                        r.getBundle() == null ? "?" : r.getBundle().getSymbolicName());
            }

            out.println();
            if (shellProvidesDemo(felix)) {
                out.println("Gogo: tether:demo");
                felix.gogo("tether:demo", out, root.err());
            } else {
                out.println("Gogo: tether:demo is not registered (yet); the stub's seccomp policy for "
                        + host + ", compiled on the launcher's class path:");
                StubPolicyDemo.print(host, out);
            }
        }
        out.println();
        out.println("Framework stopped.");
        if (problems > 0) {
            throw CliException.failed(problems + " bundle(s) did not start (see above)");
        }
        return ExitCode.OK;
    }

    /**
     * Whether the shell bundle registers {@code tether:demo}. DS registers components while the
     * bundle starts, but give it a moment; skip waiting when the shell has no components at all.
     */
    private static boolean shellProvidesDemo(EmbeddedFelix felix) {
        for (Bundle b : felix.bundles()) {
            if (SHELL_BUNDLE.equals(b.getSymbolicName())) {
                boolean hasComponents = b.getHeaders().get("Service-Component") != null;
                return b.getState() == Bundle.ACTIVE && felix.awaitCommand("tether", "demo", hasComponents ? 3_000 : 0);
            }
        }
        return false;
    }

    static String state(Bundle b) {
        switch (b.getState()) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "state " + b.getState();
        }
    }
}
