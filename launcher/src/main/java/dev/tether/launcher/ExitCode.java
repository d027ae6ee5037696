package dev.tether.launcher;

import picocli.CommandLine;

/**
 * The exit codes of {@code tether}: {@value #OK} success, {@value #FAILED} the command ran and
 * failed (a rule file that does not compile, a bundle that did not start), {@value #USAGE} bad
 * usage (picocli's {@code ExitCode.USAGE}), {@value #DISAGREE} {@code seccomp eval}: the compiled
 * program and the reference evaluator disagree. They stand apart from the entry point that runs
 * the commands, so that the commands, which return them, need not name it.
 */
final class ExitCode {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = CommandLine.ExitCode.USAGE;
    static final int DISAGREE = 3;

    private ExitCode() {
    }
}
