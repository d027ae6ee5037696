package dev.tether.launcher;

import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tether run}: boots the embedded Felix, turns CPUID faulting off in the platform's
 * configuration (MiniLinux lets guests see the host's CPUID; faulting costs ~16 us a system call on
 * VMs: README, "Guests"), and runs the shell bundle's {@code tether:run} engine with this process's
 * stdin, stdout and stderr. The exit status is the guest's.
 */
@Command(name = "run", description = {"Run a static Linux program as a guest: every system call it makes stops in Java.",
    "Usage: tether run [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]  (tether run --help)"})
final class RunCommand implements Callable<Integer> {
    static final String RUN_SERVICE = "(&(osgi.command.scope=tether)(osgi.command.function=run))";

    @ParentCommand
    Invocation root;

    @Parameters(arity = "0..*", paramLabel = "ARG", description = "Options, PROGRAM and its arguments (tether run --help).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try (EmbeddedFelix felix = EmbeddedFelix.boot(root.runtimeHome(), false)) {
            if (!felix.awaitCommand("tether", "run", 5_000)) {
                throw CliException.failed("the Gogo command tether:run is not registered (is the dev.tether.shell bundle"
                        + " active? `tether demo` shows the bundles)");
            }
            CoreConfig.apply(felix, Map.of("cpuidFaulting", false), root.err(), "tether run");
            Object engine = felix.context().getService(felix.services(RUN_SERVICE).get(0));
            // By reflection, with JDK types only: the launcher shares no class with the framework.
            Method main = engine.getClass().getMethod("main", List.class, InputStream.class, PrintStream.class, PrintStream.class);
            try {
                return (Integer) main.invoke(engine, List.copyOf(args), System.in, root.out(), root.err());
            } catch (InvocationTargetException e) {
                throw CliException.failed("the guest could not run: " + e.getCause());
            } finally {
                root.out().flush();
            }
        }
    }
}
