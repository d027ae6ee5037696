package dev.tether.launcher;

import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Explain;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompDisassembler;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallTable;
import java.io.PrintStream;

/**
 * The demo's stand-in for {@code tether:demo}: the stub's seccomp policy for the host (contained
 * mode, default action kill_thread), compiled on the launcher's flat class path, with its listing
 * and statistics.
 */
final class StubPolicyDemo {
    private StubPolicyDemo() {
    }

    static void print(HostArch arch, PrintStream out) {
        SyscallTable table = SeccompSupport.table(arch);
        Policy policy = StubPolicy.build(table, SeccompSupport.contribution(arch), Action.KILL_THREAD,
                SeccompSupport.processCloneFlags(FailureMode.CONTAINED));
        Program p = SeccompCompiler.compile(policy, table);
        out.printf("  (tether seccomp stub-policy --arch %s | tether seccomp compile --format text)%n", arch);
        indent(out, SeccompDisassembler.disassemble(p, nr -> table.name(nr).orElse(null)));
        out.println();
        indent(out, SeccompExplainCommand.explain(p, table, Explain.DEFAULT_MAX_NR, 5));
    }

    private static void indent(PrintStream out, String text) {
        for (String line : text.split("\n")) {
            out.println("  " + line);
        }
    }
}
