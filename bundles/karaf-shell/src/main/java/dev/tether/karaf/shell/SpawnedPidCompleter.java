package dev.tether.karaf.shell;

import dev.tether.shell.commands.TetherConsole;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** Completes the pids of the stubs and subprocesses that tether:spawn made and the console still holds. */
@Service
public final class SpawnedPidCompleter implements Completer {
    @Reference
    TetherConsole console;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        List<String> pids = console.handles().pids().stream().map(String::valueOf).collect(Collectors.toList());
        return new StringsCompleter(pids).complete(session, commandLine, candidates);
    }
}
