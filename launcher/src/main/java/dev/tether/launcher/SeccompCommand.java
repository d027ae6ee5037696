package dev.tether.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
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
final class SeccompCommand implements Callable<Integer>, Invocation {
    @ParentCommand
    Invocation root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    // The subcommands print where the tether command line prints.
    @Override
    public PrintStream out() {
        return root.out();
    }

    @Override
    public PrintStream err() {
        return root.err();
    }

    @Override
    public Path runtimeHome() {
        return root.runtimeHome();
    }
}
