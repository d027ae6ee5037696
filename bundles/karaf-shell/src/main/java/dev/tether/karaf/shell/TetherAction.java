package dev.tether.karaf.shell;

import dev.tether.shell.commands.TetherConsole;
import java.io.PrintStream;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;

/** What every action has: the console service and the session to print to. */
abstract class TetherAction implements Action {
    @Reference
    TetherConsole console;

    @Reference
    Session session;

    @Override
    public final Object execute() throws Exception {
        run(session.getConsole());
        return null; // printed, not returned: Karaf shows no result over ssh or bin/client -b
    }

    abstract void run(PrintStream out) throws Exception;
}
