package dev.tether.shell;

import dev.tether.api.StubPlatform;
import dev.tether.bench.engine.BenchEngine;
import dev.tether.bench.engine.BenchOptions;
import java.io.PrintStream;
import java.util.Arrays;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code tether:bench [--ops a,b] [--seconds N] | --list}: the Gogo adapter over the benchmark
 * engine of {@code bundles/bench} ({@link BenchEngine}), which does the measuring on a long-lived
 * thread of its own and prints the native floor's line format.
 */
@Component(service = BenchCommand.class, property = {"osgi.command.scope=tether", "osgi.command.function=bench"})
public final class BenchCommand {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile StubPlatform platform;
    /** Every guest platform (ptrace from core, trap from the trap bundle); --platform picks one by mechanism. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final java.util.List<dev.tether.guest.GuestPlatform> guests = new java.util.concurrent.CopyOnWriteArrayList<>();
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final java.util.List<dev.tether.guest.kernel.spi.LinuxAbi> abis = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final BenchEngine engine = new BenchEngine();

    /** Gogo entry point: {@code tether:bench [--ops a,b] [--seconds N] [--list]}. */
    public void bench(String... args) throws Exception {
        PrintStream out = System.out; // Gogo routes System.out of this thread to the session
        if (Arrays.asList(args).contains("--list") || Arrays.asList(args).contains("--help")) {
            out.println(BenchEngine.usage());
            return;
        }
        BenchOptions o = BenchOptions.parse(args);
        StubPlatform p = platform;
        if (p == null) {
            out.println(TetherCommands.NO_PLATFORM);
            return;
        }
        boolean guestOps = o.ops().stream().anyMatch(op -> op.startsWith("guest_") || op.equals("switch"));
        if (guestOps && guests.stream().noneMatch(g -> g.mechanism().equals(o.platform()))) {
            out.println("tether:bench: no guest platform " + o.platform() + " is registered (have: "
                    + guests.stream().map(dev.tether.guest.GuestPlatform::mechanism).sorted().collect(java.util.stream.Collectors.joining(", "))
                    + "); the trap platform needs the dev.tether.trap bundle and an arch with a trap handler (amd64)");
            return;
        }
        engine.run(p, guestBench(p, o.platform()), o.ops(), o.seconds(), out);
    }

    /** The guest_syscall ops' guest: the arch's write + exit_group code with getpid's number where it writes. */
    private dev.tether.bench.engine.GuestBench guestBench(StubPlatform p, String mechanism) {
        dev.tether.guest.GuestPlatform g = guests.stream().filter(x -> x.mechanism().equals(mechanism)).findFirst().orElse(null);
        if (g == null) {
            return null;
        }
        return abis.stream().filter(a -> a.arch().equals(g.arch())).findFirst()
                .map(a -> new dev.tether.bench.engine.GuestBench(g, a.helloCode(0, 0, p.syscallNumber("getpid"),
                        p.syscallNumber("exit_group"))))
                .orElse(null);
    }

    /** Ends the engine's bench thread (it traces nothing between runs). */
    @Deactivate
    void close() {
        engine.close();
    }
}
