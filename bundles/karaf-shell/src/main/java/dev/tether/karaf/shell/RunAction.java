package dev.tether.karaf.shell;

import dev.tether.shell.commands.GuestRun;
import dev.tether.shell.commands.RunArguments;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code tether:run [--platform P] [--ro DIR]... [--trace] [--env K=V]... PROGRAM [ARGS...]}. Karaf reads options
 * only before the first argument: what follows PROGRAM is the program's. A guest that exits with
 * a status other than 0 fails the command, so that scripts see it.
 */
@Service
@Command(scope = Usage.SCOPE, name = "run", description = Usage.RUN)
public final class RunAction extends TetherAction {
    @Option(name = "--platform", description = "the guest platform: ptrace (default) or trap")
    String platform;

    @Option(name = "--ro", description = "let the guest read DIR (an absolute directory), at the same path; repeatable",
            multiValued = true)
    List<String> readOnly = new ArrayList<>();

    @Option(name = "--trace", description = "print each system call strace-style to stderr")
    boolean trace;

    @Option(name = "--env", description = "an environment variable of the guest, K=V; repeatable (default: PATH=/bin)",
            multiValued = true)
    List<String> env = new ArrayList<>();

    @Argument(index = 0, name = "program", description = "a static Linux executable for this host's arch", required = true)
    String program;

    @Argument(index = 1, name = "args", description = "the program's arguments", multiValued = true)
    List<String> args = new ArrayList<>();

    @Override
    void run(PrintStream out) {
        RunArguments a = RunArguments.of(platform, readOnly, trace, env, program, args);
        // System.err of a command's thread is the session's error stream (Karaf's ThreadIO)
        int status = GuestRun.run(console, a, session.getKeyboard(), out, System.err);
        if (status != 0) {
            throw new IllegalStateException("tether:run: " + program + " exited with status " + status);
        }
    }
}
