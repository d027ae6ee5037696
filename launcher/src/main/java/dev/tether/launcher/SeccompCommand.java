package dev.tether.launcher;

import dev.tether.api.FailureMode;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.StubPolicy;
import java.math.BigInteger;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

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

    /** {@code --arch amd64|arm64}, default: the host's. */
    static final class ArchOption {
        @Option(names = "--arch", paramLabel = "ARCH",
                description = "Target architecture: ${COMPLETION-CANDIDATES} (default: the host's).")
        HostArch arch;

        HostArch get() {
            return arch != null ? arch : HostArch.host();
        }
    }

    /** Converts a rule-file action spelling ({@code allow}, {@code errno:1}, ...). */
    static final class ActionConverter implements ITypeConverter<Action> {
        @Override
        public Action convert(String value) {
            try {
                return Action.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code contained} or {@code fail-stop}. */
    static final class ModeConverter implements ITypeConverter<FailureMode> {
        @Override
        public FailureMode convert(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "contained": return FailureMode.CONTAINED;
                case "fail-stop": return FailureMode.FAIL_STOP;
                default: throw new TypeConversionException("expected contained or fail-stop but was '" + value + "'");
            }
        }
    }

    /**
     * The clone flags of a new stub process in each mode (spec §2.1, DESIGN rule 5): CLONE_FILES
     * with exit signal 0 (contained: a dying stub signals nobody) or SIGKILL (fail-stop, the seed's
     * 0x409). The stub policy allows exactly this value as clone's first argument.
     */
    static long processCloneFlags(FailureMode mode) {
        return mode == FailureMode.FAIL_STOP ? StubPolicy.SEED_PROCESS_CLONE_FLAGS : StubPolicy.CLONE_FILES;
    }

    /**
     * A 64-bit value: decimal, {@code 0x} hex (both up to 2^64-1) or a negative decimal (two's
     * complement, as a C {@code long} argument would be passed).
     */
    static final class U64Converter implements ITypeConverter<Long> {
        private static final BigInteger MIN = BigInteger.valueOf(Long.MIN_VALUE);
        private static final BigInteger MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

        @Override
        public Long convert(String value) {
            String s = value.trim().toLowerCase(Locale.ROOT).replace("_", "");
            try {
                BigInteger b = s.startsWith("0x") ? new BigInteger(s.substring(2), 16) : new BigInteger(s);
                if (b.compareTo(MIN) < 0 || b.compareTo(MAX) > 0 || (s.startsWith("0x") && b.signum() < 0)) {
                    throw new TypeConversionException("'" + value + "' does not fit in 64 bits");
                }
                return b.longValue();
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number (decimal or 0x hex)");
            }
        }
    }
}
