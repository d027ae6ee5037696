package dev.tether.karaf.shell;

import dev.tether.shell.commands.PlatformReport;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import java.util.List;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code tether:stubs}, as a Karaf table. */
@Service
@Command(scope = Usage.SCOPE, name = "stubs", description = Usage.STUBS)
public final class StubsAction extends TetherAction {
    @Override
    void run(PrintStream out) {
        List<PlatformReport.StubRow> rows = PlatformReport.stubs(console);
        ShellTable table = new ShellTable();
        for (String column : PlatformReport.STUB_COLUMNS) {
            table.column(column);
        }
        for (PlatformReport.StubRow r : rows) {
            table.addRow().addContent(r.cells());
        }
        table.print(out);
        out.println(PlatformReport.summary(rows));
    }
}
