package dev.tether.shell;

import dev.tether.shell.commands.GuestRun;
import dev.tether.shell.commands.RunArguments;
import dev.tether.shell.commands.TetherConsole;
import dev.tether.shell.commands.Usage;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code tether:run} (Gogo) and the engine of the launcher's {@code tether run}, over
 * {@link GuestRun}. The launcher calls {@link #main} by reflection (JDK types only: it shares no
 * class with the framework). Enabled by {@link GogoCommandsEnabler}.
 */
@Component(service = RunCommand.class, enabled = false,
        property = {"osgi.command.scope=" + Usage.SCOPE, "osgi.command.function=run"})
public final class RunCommand {
    /** Exit status for bad usage (as the launcher's). */
    static final int USAGE = 2;

    @Reference
    private TetherConsole console;

    @Descriptor(Usage.RUN)
    public int run(CommandSession session, @Descriptor("[--platform ptrace|trap] [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]")
            String... args) {
        return main(List.of(args), session.getKeyboard(), session.getConsole(), System.err);
    }

    /**
     * Runs {@code args} ({@link RunArguments}) with the guest's fds 0, 1, 2 on {@code in}, {@code out},
     * {@code err}; returns the guest's exit status, {@value #USAGE} for bad usage or
     * {@value GuestRun#FAILED} when nothing could run (the reason on {@code err}).
     */
    public int main(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        RunArguments a;
        try {
            a = RunArguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("tether run: " + e.getMessage());
            return USAGE;
        }
        if (a.help()) {
            out.println(RunArguments.HELP);
            return 0;
        }
        return GuestRun.run(console, a, in, out, err);
    }
}
