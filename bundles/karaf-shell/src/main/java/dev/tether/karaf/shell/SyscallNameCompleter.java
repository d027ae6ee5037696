package dev.tether.karaf.shell;

import dev.tether.api.StubPlatform;
import dev.tether.shell.commands.TetherConsole;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** Completes the syscall names of the platform's arch (its arch bundle's syscall table); none without a platform. */
@Service
public final class SyscallNameCompleter implements Completer {
    @Reference
    TetherConsole console;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        Optional<StubPlatform> p = console.platform();
        TreeSet<String> names = new TreeSet<>();
        if (p.isPresent()) {
            try {
                names.addAll(console.table(p.get()).all().keySet());
            } catch (IllegalStateException e) {
                // the arch bundle is stopping: nothing to offer
            }
        }
        return new StringsCompleter(names).complete(session, commandLine, candidates);
    }
}
