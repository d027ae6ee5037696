package dev.tether.karaf.shell;

import dev.tether.shell.commands.PlatformReport;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code tether:info}. */
@Service
@Command(scope = Usage.SCOPE, name = "info", description = Usage.INFO)
public final class InfoAction extends TetherAction {
    @Override
    void run(PrintStream out) {
        PlatformReport.info(console, out);
    }
}
