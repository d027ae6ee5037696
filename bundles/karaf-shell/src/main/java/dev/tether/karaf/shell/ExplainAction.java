package dev.tether.karaf.shell;

import dev.tether.shell.commands.FilterReport;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code tether:explain [TOP]}. */
@Service
@Command(scope = Usage.SCOPE, name = "explain", description = Usage.EXPLAIN)
public final class ExplainAction extends TetherAction {
    @Argument(index = 0, name = "top", description = Usage.EXPLAIN_TOP)
    int top = FilterReport.DEFAULT_TOP;

    @Override
    void run(PrintStream out) {
        FilterReport.explain(console, top, out);
    }
}
