package dev.tether.karaf.shell;

import dev.tether.shell.commands.StubCommands;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code tether:kill PID}. */
@Service
@Command(scope = Usage.SCOPE, name = "kill", description = Usage.KILL)
public final class KillAction extends TetherAction {
    @Argument(index = 0, name = "pid", description = Usage.PID, required = true)
    @Completion(SpawnedPidCompleter.class)
    int pid;

    @Override
    void run(PrintStream out) {
        StubCommands.kill(console, pid, out);
    }
}
