package dev.tether.shell.commands;

import dev.tether.api.StubPlatform;
import dev.tether.bench.engine.BenchEngine;
import dev.tether.bench.engine.BenchOptions;
import dev.tether.bench.engine.GuestBench;
import dev.tether.guest.GuestPlatform;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code tether:bench}: the benchmark engine of {@code bundles/bench} ({@link BenchEngine}), which
 * measures on a long-lived thread of its own and prints the native floor's line format.
 */
public final class Bench {
    private Bench() {
    }

    /** The operations, in the order they run (for completion and --list). */
    public static List<String> ops() {
        return List.copyOf(BenchEngine.OPS.keySet());
    }

    /** Prints the usage line and every op with what its timed region is. */
    public static void list(PrintStream out) {
        out.println(BenchEngine.usage());
    }

    /** Times {@code options}' ops on the platform, printing one line per op as it finishes. */
    public static void run(TetherConsole console, BenchOptions options, PrintStream out) throws Exception {
        StubPlatform p = console.platform().orElse(null);
        if (p == null) {
            out.println(TetherConsole.NO_PLATFORM);
            return;
        }
        boolean guestOps = options.ops().stream().anyMatch(op -> op.startsWith("guest_") || op.equals("switch"));
        if (guestOps && console.guest(options.platform()) == null) {
            out.println("tether:bench: " + console.noGuestPlatform(options.platform()));
            return;
        }
        console.bench().run(p, guestBench(console, p, options.platform()), options.ops(), options.seconds(), out);
    }

    /** The guest_syscall ops' guest: the arch's write + exit_group code with getpid's number where it writes. */
    private static GuestBench guestBench(TetherConsole console, StubPlatform p, String mechanism) {
        GuestPlatform g = console.guest(mechanism);
        if (g == null) {
            return null;
        }
        return console.abis().stream().filter(a -> a.arch().equals(g.arch())).findFirst()
                .map(a -> new GuestBench(g, a.helloCode(0, 0, p.syscallNumber("getpid"), p.syscallNumber("exit_group"))))
                .orElse(null);
    }
}
