package dev.tether.karaf.shell;

import dev.tether.bench.engine.BenchOptions;
import dev.tether.shell.commands.Bench;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code tether:bench [--ops OP[,OP...]] [--seconds N] [--platform P] | --list}. */
@Service
@Command(scope = Usage.SCOPE, name = "bench", description = Usage.BENCH)
public final class BenchAction extends TetherAction {
    @Option(name = "--ops", description = "the operations to time, separated by commas (default: all; --list names them)")
    @Completion(BenchOpCompleter.class)
    String ops;

    @Option(name = "--seconds", description = "seconds of samples per operation (default 2)")
    String seconds;

    @Option(name = "--platform", description = "the guest platform of the guest ops: ptrace (default) or trap")
    String platform;

    @Option(name = "--list", description = "list the operations and what each times, run nothing")
    boolean list;

    @Override
    void run(PrintStream out) throws Exception {
        if (list) {
            Bench.list(out);
            return;
        }
        List<String> words = new ArrayList<>();
        if (ops != null) {
            words.add("--ops");
            words.add(ops);
        }
        if (seconds != null) {
            words.add("--seconds");
            words.add(seconds);
        }
        if (platform != null) {
            words.add("--platform");
            words.add(platform);
        }
        Bench.run(console, BenchOptions.parse(words.toArray(new String[0])), out);
    }
}
