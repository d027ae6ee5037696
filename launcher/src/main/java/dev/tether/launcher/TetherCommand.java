package dev.tether.launcher;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code tether} command: global options and the list of subcommands. */
@Command(name = "tether",
        mixinStandardHelpOptions = true,
        versionProvider = TetherCommand.Version.class,
        description = "Tether: ptrace stub processes for the JVM, as OSGi bundles.",
        subcommands = {DemoCommand.class, ShellCommand.class, SeccompCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 bad usage, 3 seccomp eval disagreement."})
final class TetherCommand implements Callable<Integer>, Invocation {
    /** System property naming the runtime directory (the tests set it; so may the user). */
    static final String RUNTIME_PROPERTY = "tether.runtime";

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    @Option(names = "--runtime", paramLabel = "DIR",
            description = "Runtime directory holding lib/ and bundles/ (default: the directory of tether-launcher.jar).")
    Path runtime;

    TetherCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public PrintStream out() {
        return out;
    }

    @Override
    public PrintStream err() {
        return err;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * The runtime directory: {@code --runtime}, else the system property {@value #RUNTIME_PROPERTY},
     * else the directory that holds the launcher jar.
     */
    @Override
    public Path runtimeHome() {
        Path home = runtime;
        if (home == null && System.getProperty(RUNTIME_PROPERTY) != null) {
            home = Path.of(System.getProperty(RUNTIME_PROPERTY));
        }
        if (home == null) {
            try {
                Path code = Path.of(TetherCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (Files.isRegularFile(code)) {
                    home = code.getParent();
                }
            } catch (URISyntaxException | SecurityException | NullPointerException e) {
                home = null;
            }
        }
        if (home == null || !Files.isDirectory(home.resolve("bundles"))) {
            throw CliException.failed("no runtime directory with a bundles/ folder"
                    + (home == null ? "" : " at " + home)
                    + " (build it with `mvn -B package -pl launcher -am`, or pass --runtime DIR)");
        }
        return home.toAbsolutePath().normalize();
    }

    /** picocli version provider: the jar's Implementation-Version. */
    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TetherCommand.class.getPackage().getImplementationVersion();
            return new String[] {"tether " + (v == null ? "(development build)" : v),
                "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name")
                        + " " + System.getProperty("os.arch")};
        }
    }
}
