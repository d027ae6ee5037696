package dev.tether.karaf.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.shell.commands.Bench;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.console.CommandLine;
import org.junit.jupiter.api.Test;

/**
 * The completers as Karaf calls them (Karaf's StringsCompleter under them), and the annotations
 * Karaf's help and command extender read from the actions.
 */
class CompletersTest {

    /** A command line whose cursor is at the end of {@code word}, the argument being completed. */
    private static CommandLine at(String word) {
        return new CommandLine() {
            @Override
            public int getCursorArgumentIndex() {
                return 1;
            }

            @Override
            public String getCursorArgument() {
                return word;
            }

            @Override
            public int getArgumentPosition() {
                return word.length();
            }

            @Override
            public String[] getArguments() {
                return new String[] {"tether:bench", word};
            }

            @Override
            public int getBufferPosition() {
                return getBuffer().length();
            }

            @Override
            public String getBuffer() {
                return "tether:bench --ops " + word;
            }
        };
    }

    @Test
    void benchOpsCompleteByPrefix() {
        List<String> candidates = new ArrayList<>();
        new BenchOpCompleter().complete(null, at("guest_"), candidates);
        List<String> names = candidates.stream().map(String::trim).sorted().toList();
        assertEquals(List.of("guest_syscall", "guest_syscall_fp"), names);
        candidates.clear();
        new BenchOpCompleter().complete(null, at(""), candidates);
        assertEquals(Bench.ops().size(), candidates.size(), candidates.toString());
    }

    @Test
    void everyActionIsATetherCommandWithADescription() {
        List<Class<?>> actions = List.of(BenchAction.class, DemoAction.class, ExplainAction.class, HealthAction.class,
                InfoAction.class, InjectAction.class, KillAction.class, PolicyAction.class, RegsAction.class, RunAction.class,
                SpawnAction.class, StubsAction.class);
        List<String> names = new ArrayList<>();
        for (Class<?> a : actions) {
            Command c = a.getAnnotation(Command.class);
            assertEquals("tether", c.scope(), a.getName());
            assertTrue(c.description().length() > 20, a + ": " + c.description());
            assertTrue(a.isAnnotationPresent(org.apache.karaf.shell.api.action.lifecycle.Service.class), a.getName());
            names.add(c.name());
        }
        assertEquals(List.copyOf(dev.tether.shell.commands.Usage.SYNTAX.keySet()), names.stream().sorted().toList());
    }

    @Test
    void pidArgumentsCompleteWithTheSpawnedPids() throws Exception {
        for (Class<?> a : List.of(InjectAction.class, RegsAction.class, KillAction.class)) {
            var pid = a.getDeclaredField("pid");
            assertEquals("pid", pid.getAnnotation(Argument.class).name());
            assertEquals(SpawnedPidCompleter.class, pid.getAnnotation(Completion.class).value(), a.getName());
        }
        assertEquals(SyscallNameCompleter.class, InjectAction.class.getDeclaredField("syscall").getAnnotation(Completion.class)
                .value());
    }
}
