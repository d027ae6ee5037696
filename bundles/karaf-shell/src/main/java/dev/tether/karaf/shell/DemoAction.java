package dev.tether.karaf.shell;

import dev.tether.shell.commands.Demo;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code tether:demo}. */
@Service
@Command(scope = Usage.SCOPE, name = "demo", description = Usage.DEMO)
public final class DemoAction extends TetherAction {
    @Override
    void run(PrintStream out) throws Exception {
        Demo.run(console, out);
    }
}
