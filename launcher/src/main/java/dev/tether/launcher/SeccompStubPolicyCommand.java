package dev.tether.launcher;

import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tether seccomp stub-policy}: the stub's own seccomp policy, as a rule file. */
@Command(name = "stub-policy", mixinStandardHelpOptions = true,
        description = {"Write the ptrace stub's seccomp policy as a rule file.",
            "It allows what the stub and the injected system calls need (gVisor's attachedThread rules plus",
            "the arch's rules); clone is allowed with the process clone flags of the mode: contained",
            "0x400 (CLONE_FILES, exit signal 0) or fail-stop 0x409 (CLONE_FILES|SIGKILL, gVisor's)."})
final class SeccompStubPolicyCommand implements Callable<Integer> {
    @ParentCommand
    Invocation parent;

    @Spec
    CommandSpec spec;

    @Mixin
    ArchOption arch;

    @Option(names = "--default", paramLabel = "ACTION", defaultValue = "kill_thread",
            converter = SeccompConverters.ActionConverter.class,
            description = "Default action: kill_thread (default), kill_process, trap, errno:N, allow, ... "
                    + "(allow gives only the arch rules, as on legacy kernels).")
    Action defaultAction;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "contained",
            converter = SeccompConverters.ModeConverter.class,
            description = "contained (default) or fail-stop.")
    FailureMode mode;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Output file (default: stdout).")
    Path output;

    @Override
    public Integer call() {
        if (output != null) {
            OutputFile.check(spec.commandLine(), "-o", output);
        }
        HostArch a = arch.get();
        SyscallTable table = SeccompSupport.table(a);
        Policy policy = StubPolicy.build(table, SeccompSupport.contribution(a), defaultAction,
                SeccompSupport.processCloneFlags(mode));
        String text = RuleFile.write(policy, table);
        if (!text.endsWith("\n")) {
            text += "\n";
        }
        if (output == null) {
            parent.out().print(text); // a failed write is reported by Main
        } else {
            try (OutputFile f = OutputFile.create("-o", output)) {
                try {
                    f.stream().write(text.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw f.failed(e);
                }
                f.commit();
            }
        }
        return ExitCode.OK;
    }
}
