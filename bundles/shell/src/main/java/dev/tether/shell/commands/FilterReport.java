package dev.tether.shell.commands;

import dev.tether.api.PlatformFacts;
import dev.tether.api.StubPlatform;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Explain;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompDisassembler;
import dev.tether.seccomp.SyscallTable;
import java.io.PrintStream;
import java.util.Locale;

/** {@code tether:policy} (the stub's seccomp policy) and {@code tether:explain} (statistics of its compiled filter). */
public final class FilterReport {
    /** How tether:policy prints the policy. */
    public enum Format {
        /** A rule file (JSON), as {@code tether seccomp} reads it. */
        JSON,
        /** The compiled filter, one instruction a line, with seccomp's names. */
        LISTING;

        /** {@code json} or {@code listing}, any case; anything else is an IllegalArgumentException naming it. */
        public static Format parse(String text) {
            try {
                return valueOf(text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tether:policy: unknown format \"" + text + "\": json or listing");
            }
        }
    }

    /** How many syscalls tether:explain lists by default. */
    public static final int DEFAULT_TOP = 10;

    private FilterReport() {
    }

    /** Prints the stub's seccomp policy for the platform's failure mode and default action. */
    public static void policy(TetherConsole console, Format format, PrintStream out) {
        StubPlatform p = console.requirePlatform();
        SyscallTable table = console.table(p);
        Policy policy = p.stubPolicy(Action.parse(p.facts().defaultAction()));
        if (format == Format.JSON) {
            out.println(RuleFile.write(policy, table).stripTrailing());
        } else {
            Program prog = SeccompCompiler.compile(policy, table);
            out.println(header(p, prog));
            out.println(SeccompDisassembler.disassemble(prog, nr -> table.name(nr).orElse(null)).stripTrailing());
        }
    }

    /** Prints the compiled stub filter's size, instructions executed per syscall and the {@code top} costliest syscalls. */
    public static void explain(TetherConsole console, int top, PrintStream out) {
        if (top < 0) {
            throw new IllegalArgumentException("tether:explain: the number of syscalls to list must be >= 0, got " + top);
        }
        StubPlatform p = console.requirePlatform();
        SyscallTable table = console.table(p);
        Program prog = SeccompCompiler.compile(p.stubPolicy(Action.parse(p.facts().defaultAction())), table);
        out.println(header(p, prog));
        out.println(Explain.of(prog, table, Explain.DEFAULT_MAX_NR).format(table, top).stripTrailing());
    }

    private static String header(StubPlatform p, Program prog) {
        PlatformFacts f = p.facts();
        return String.format("# stub filter for %s (%s mode, default action %s): %d instructions", f.arch(),
                PlatformReport.mode(f), f.defaultAction(), prog.size());
    }
}
