package dev.tether.karaf.shell;

import dev.tether.shell.commands.Bench;
import java.util.List;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** Completes the bench's operation names (one; --ops takes several separated by commas). */
@Service
public final class BenchOpCompleter implements Completer {
    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        return new StringsCompleter(Bench.ops()).complete(session, commandLine, candidates);
    }
}
