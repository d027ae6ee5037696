package dev.tether.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tether seccomp ...}: the rule-file compiler and its companions. These run on the
 * launcher's flat class path (see {@link SeccompSupport}), not inside Felix.
 */
@Command(name = "seccomp", mixinStandardHelpOptions = true,
        description = {"Compile, inspect and evaluate seccomp rule files.",
            "These commands run on the launcher's class path, without the OSGi framework.",
            "Rule files are JSON (see README.md, \"Seccomp rule files\"); --arch defaults to the host's."},
        subcommands = {SeccompCompileCommand.class, SeccompExplainCommand.class, SeccompEvalCommand.class,
            SeccompStubPolicyCommand.class})
final class SeccompCommand implements Callable<Integer> {
    @ParentCommand
    TetherCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
