package dev.tether.karaf.shell;

import dev.tether.shell.commands.StubCommands;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code tether:inject PID SYSCALL [ARG...]}. Karaf reads options only before the first argument,
 * so negative arguments ({@code -1}) need nothing special.
 */
@Service
@Command(scope = Usage.SCOPE, name = "inject", description = Usage.INJECT)
public final class InjectAction extends TetherAction {
    @Argument(index = 0, name = "pid", description = Usage.PID, required = true)
    @Completion(SpawnedPidCompleter.class)
    int pid;

    @Argument(index = 1, name = "syscall", description = Usage.SYSCALL, required = true)
    @Completion(SyscallNameCompleter.class)
    String syscall;

    @Argument(index = 2, name = "args", description = Usage.SYSCALL_ARGS, multiValued = true)
    List<String> args = new ArrayList<>();

    @Override
    void run(PrintStream out) {
        StubCommands.inject(console, pid, syscall, args, out);
    }
}
