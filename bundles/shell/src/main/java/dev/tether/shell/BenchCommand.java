package dev.tether.shell;

import dev.tether.bench.engine.BenchOptions;
import dev.tether.shell.commands.Bench;
import dev.tether.shell.commands.TetherConsole;
import dev.tether.shell.commands.Usage;
import java.util.Arrays;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code tether:bench [--ops a,b] [--seconds N] | --list}: the Gogo adapter over {@link Bench}
 * (the benchmark engine of {@code bundles/bench}). Enabled by {@link GogoCommandsEnabler}.
 */
@Component(service = BenchCommand.class, enabled = false,
        property = {"osgi.command.scope=" + Usage.SCOPE, "osgi.command.function=bench"})
public final class BenchCommand {
    @Reference
    private TetherConsole console;

    @Descriptor(Usage.BENCH)
    public void bench(CommandSession session, @Descriptor("[--ops OP[,OP...]] [--seconds N] [--platform ptrace|trap] | --list | --help") String... args)
            throws Exception {
        List<String> words = Arrays.asList(args);
        if (words.contains("--list") || words.contains("--help") || words.contains("-h")) {
            Bench.list(session.getConsole());
            return;
        }
        Bench.run(console, BenchOptions.parse(args), session.getConsole());
    }
}
