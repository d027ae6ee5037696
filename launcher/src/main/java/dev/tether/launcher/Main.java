package dev.tether.launcher;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Entry point of {@code tether-launcher.jar} (and of the {@code ./tether} script at the repository
 * root). Exit codes: {@value #OK} success, {@value #FAILED} the command ran and failed (a rule file
 * that does not compile, a bundle that did not start), {@value #USAGE} bad usage (picocli's
 * {@code ExitCode.USAGE}), {@value #DISAGREE} {@code seccomp eval}: the compiled program and the
 * reference evaluator disagree.
 */
public final class Main {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = CommandLine.ExitCode.USAGE;
    public static final int DISAGREE = 3;

    private Main() {
    }

    public static void main(String[] args) {
        quietLogging();
        System.exit(run(System.out, System.err, args));
    }

    /**
     * The commands print what a person needs; the bundles' own log records (java.util.logging,
     * which the platform falls back to without an OSGi Log Service) would interleave with it. So
     * the launcher shows only SEVERE records, unless {@code -Dtether.log=LEVEL} (e.g. {@code info},
     * through TETHER_JAVA_OPTS) or a java.util.logging configuration file says otherwise.
     */
    static void quietLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        String wanted = System.getProperty("tether.log", "severe").toUpperCase(java.util.Locale.ROOT);
        java.util.logging.Level level;
        try {
            level = java.util.logging.Level.parse(wanted);
        } catch (IllegalArgumentException e) {
            System.err.println("tether: -Dtether.log=" + wanted + " is not a log level (severe, warning, info, fine, all); using severe");
            level = java.util.logging.Level.SEVERE;
        }
        java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
        root.setLevel(level);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(level);
        }
    }

    /**
     * Runs one command line with the given streams; never calls {@code System.exit}, so tests can
     * run it in-process.
     */
    public static int run(PrintStream out, PrintStream err, String... args) {
        TetherCommand root = new TetherCommand(out, err);
        CommandLine cl = new CommandLine(root);
        cl.addSubcommand("bench", new BenchCommand());
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        // Bad usage: the message and a pointer to --help, not the whole usage text (exit 2).
        cl.setParameterExceptionHandler((ex, args1) -> {
            CommandLine bad = ex.getCommandLine();
            err.println(bad.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + bad.getCommandSpec().qualifiedName() + " --help' for more information.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof CliException) {
                err.println(commandLine.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                return ((CliException) ex).exitCode();
            }
            err.println(commandLine.getCommandSpec().qualifiedName() + ": internal error: " + ex);
            ex.printStackTrace(err);
            return FAILED;
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }
}
