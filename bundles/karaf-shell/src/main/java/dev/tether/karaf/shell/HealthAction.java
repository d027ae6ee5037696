package dev.tether.karaf.shell;

import dev.tether.shell.commands.Health;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * {@code tether:health}: the findings of the Tether health checks as a table; fails unless they are
 * OK or WARN, so that {@code bin/client -b tether:health} and ssh exit non-zero.
 */
@Service
@Command(scope = Usage.SCOPE, name = "health", description = Usage.HEALTH)
public final class HealthAction extends TetherAction {
    @Override
    void run(PrintStream out) {
        Health.Report r = Health.run(console);
        out.println("Tether health: " + r.status());
        ShellTable table = new ShellTable();
        table.column("CHECK");
        table.column("STATUS");
        table.column("FINDING");
        for (Health.Finding f : r.findings()) {
            table.addRow().addContent(f.cells());
        }
        table.print(out);
        if (!r.healthy()) {
            throw new IllegalStateException(r.failure());
        }
    }
}
