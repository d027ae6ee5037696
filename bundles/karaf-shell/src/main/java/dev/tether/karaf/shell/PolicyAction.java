package dev.tether.karaf.shell;

import dev.tether.shell.commands.FilterReport;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/** {@code tether:policy [json|listing]}. */
@Service
@Command(scope = Usage.SCOPE, name = "policy", description = Usage.POLICY)
public final class PolicyAction extends TetherAction {
    @Argument(index = 0, name = "format", description = Usage.POLICY_FORMAT)
    @Completion(value = StringsCompleter.class, values = {"json", "listing"})
    String format = "json";

    @Override
    void run(PrintStream out) {
        FilterReport.policy(console, FilterReport.Format.parse(format), out);
    }
}
