package dev.tether.launcher;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Entry point of {@code tether-launcher.jar} (and of the {@code ./tether} script at the repository
 * root). Exit codes: {@link ExitCode}. A command whose standard output could not be written (a full
 * disk, /dev/full) fails with exit 1 and says so, whatever it printed.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        quietLogging();
        // System.out keeps only a flag when a write fails; this one also keeps why. Everything
        // printed to System.out (Felix, Gogo) goes through it too, in order.
        PrintStream stdout = CheckedPrintStream.over(new BufferedOutputStream(
                new FileOutputStream(FileDescriptor.out), 8192), Charset.defaultCharset());
        System.setOut(stdout);
        System.exit(run(stdout, System.err, args));
    }

    private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";

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
        // One line per record ("SEVERE: configuration dev.tether.core refused, ..."), not the
        // default two (date and class, then the message). Before anything touches the JDK logging.
        if (System.getProperty(LOG_FORMAT) == null) {
            System.setProperty(LOG_FORMAT, "%4$s: %5$s%6$s%n");
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
        // tether run: everything after "run" belongs to it (its options, the program, the program's own
        // options), so picocli passes unknown options through as positional arguments.
        cl.addSubcommand("run", new RunCommand());
        cl.getSubcommands().get("run").setUnmatchedOptionsArePositionalParams(true).setStopAtPositional(true);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        // Bad usage: the message and a pointer to --help, not the whole usage text (exit 2).
        cl.setParameterExceptionHandler((ex, args1) -> {
            CommandLine bad = ex.getCommandLine();
            err.println(bad.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + bad.getCommandSpec().qualifiedName() + " --help' for more information.");
            return ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof CliException) {
                err.println(commandLine.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                return ((CliException) ex).exitCode();
            }
            err.println(commandLine.getCommandSpec().qualifiedName() + ": internal error: " + ex);
            ex.printStackTrace(err);
            return ExitCode.FAILED;
        });
        int rc = cl.execute(args);
        out.flush();
        if (out.checkError() && rc == ExitCode.OK) {
            err.println("tether: cannot write to standard output" + CheckedPrintStream.writeFailure(out));
            rc = ExitCode.FAILED;
        }
        err.flush();
        return rc;
    }
}
