package dev.tether.karaf.shell;

import dev.tether.shell.commands.Handles;
import dev.tether.shell.commands.StubCommands;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** {@code tether:spawn [subprocess|stub]}: prints the pid. */
@Service
@Command(scope = Usage.SCOPE, name = "spawn", description = Usage.SPAWN)
public final class SpawnAction extends TetherAction {
    @Argument(index = 0, name = "kind", description = Usage.SPAWN_KIND)
    @Completion(value = StringsCompleter.class, values = {"subprocess", "stub"})
    String kind = "subprocess";

    @Override
    void run(PrintStream out) {
        StubCommands.spawn(console, Handles.Kind.parse(kind), out);
    }
}
