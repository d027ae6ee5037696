package dev.tether.shell;

import dev.tether.shell.commands.Demo;
import dev.tether.shell.commands.FilterReport;
import dev.tether.shell.commands.Handles;
import dev.tether.shell.commands.Health;
import dev.tether.shell.commands.PlatformReport;
import dev.tether.shell.commands.StubCommands;
import dev.tether.shell.commands.TetherConsole;
import dev.tether.shell.commands.Usage;
import java.io.PrintStream;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code tether:} commands of the Gogo shell (the embedded Felix of {@code ./tether shell}):
 * thin adapters over {@link dev.tether.shell.commands}. Each takes its words as strings, prints
 * {@code tether:NAME --help} instead of running, turns the words into typed arguments
 * ({@link GogoArgs}) and prints to the session's console; a failure is an exception, which Gogo
 * reports. Nothing is returned: Karaf would not print it over ssh, and the two shells behave alike.
 *
 * <p>Disabled until {@link GogoCommandsEnabler} enables it: in Karaf, the Karaf-native commands of
 * {@code dev.tether.karaf.shell} serve these names.
 */
@Component(service = TetherCommands.class, enabled = false, property = {"osgi.command.scope=" + Usage.SCOPE,
    "osgi.command.function=info", "osgi.command.function=stubs", "osgi.command.function=spawn",
    "osgi.command.function=inject", "osgi.command.function=regs", "osgi.command.function=kill",
    "osgi.command.function=policy", "osgi.command.function=explain", "osgi.command.function=demo",
    "osgi.command.function=health"})
public final class TetherCommands {
    private static final String HELP = "--help: print the usage, do nothing else";

    @Reference
    private TetherConsole console;

    @Descriptor(Usage.INFO)
    public void info(CommandSession session, @Descriptor(HELP) String... args) {
        GogoArgs a = GogoArgs.of("info", args, 0, 0);
        if (!a.help(session, List.of())) {
            PlatformReport.info(console, out(session));
        }
    }

    @Descriptor(Usage.STUBS)
    public void stubs(CommandSession session, @Descriptor(HELP) String... args) {
        GogoArgs a = GogoArgs.of("stubs", args, 0, 0);
        if (!a.help(session, List.of())) {
            PlatformReport.printStubs(PlatformReport.stubs(console), out(session));
        }
    }

    @Descriptor(Usage.SPAWN)
    public void spawn(CommandSession session, @Descriptor("[subprocess|stub] (" + Usage.SPAWN_KIND + ")") String... args) {
        GogoArgs a = GogoArgs.of("spawn", args, 0, 1);
        if (!a.help(session, List.of("KIND  " + Usage.SPAWN_KIND))) {
            Handles.Kind kind = a.count() == 0 ? Handles.Kind.SUBPROCESS : Handles.Kind.parse(a.get(0));
            StubCommands.spawn(console, kind, out(session));
        }
    }

    @Descriptor(Usage.INJECT)
    public void inject(CommandSession session, @Descriptor("PID SYSCALL [ARG...]") String... args) {
        GogoArgs a = GogoArgs.of("inject", args, 2, 2 + StubCommands.MAX_ARGS);
        if (!a.help(session, List.of("PID      " + Usage.PID, "SYSCALL  " + Usage.SYSCALL, "ARG      " + Usage.SYSCALL_ARGS))) {
            StubCommands.inject(console, a.pid(0), a.get(1), a.rest(2), out(session));
        }
    }

    @Descriptor(Usage.REGS)
    public void regs(CommandSession session, @Descriptor("PID") String... args) {
        GogoArgs a = GogoArgs.of("regs", args, 1, 1);
        if (!a.help(session, List.of("PID  " + Usage.PID))) {
            StubCommands.regs(console, a.pid(0), out(session));
        }
    }

    @Descriptor(Usage.KILL)
    public void kill(CommandSession session, @Descriptor("PID") String... args) {
        GogoArgs a = GogoArgs.of("kill", args, 1, 1);
        if (!a.help(session, List.of("PID  " + Usage.PID))) {
            StubCommands.kill(console, a.pid(0), out(session));
        }
    }

    @Descriptor(Usage.POLICY)
    public void policy(CommandSession session, @Descriptor("[json|listing]") String... args) {
        GogoArgs a = GogoArgs.of("policy", args, 0, 1);
        if (!a.help(session, List.of("FORMAT  " + Usage.POLICY_FORMAT))) {
            FilterReport.policy(console, a.count() == 0 ? FilterReport.Format.JSON : FilterReport.Format.parse(a.get(0)),
                    out(session));
        }
    }

    @Descriptor(Usage.EXPLAIN)
    public void explain(CommandSession session, @Descriptor("[TOP]") String... args) {
        GogoArgs a = GogoArgs.of("explain", args, 0, 1);
        if (!a.help(session, List.of("TOP  " + Usage.EXPLAIN_TOP))) {
            FilterReport.explain(console, a.count() == 0 ? FilterReport.DEFAULT_TOP : a.integer(0, "TOP"), out(session));
        }
    }

    @Descriptor(Usage.DEMO)
    public void demo(CommandSession session, @Descriptor(HELP) String... args) throws Exception {
        GogoArgs a = GogoArgs.of("demo", args, 0, 0);
        if (!a.help(session, List.of())) {
            Demo.run(console, out(session));
        }
    }

    /** Prints the checks; fails (an exception, which Gogo reports) unless they are OK or WARN. */
    @Descriptor(Usage.HEALTH)
    public void health(CommandSession session, @Descriptor(HELP) String... args) {
        GogoArgs a = GogoArgs.of("health", args, 0, 0);
        if (!a.help(session, List.of())) {
            Health.Report r = Health.run(console);
            Health.print(r, out(session));
            if (!r.healthy()) {
                throw new IllegalStateException(r.failure());
            }
        }
    }

    static PrintStream out(CommandSession session) {
        return session.getConsole();
    }
}
