package dev.tether.launcher;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.OciResolver;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallTable;
import dev.tether.seccomp.Verdict;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tether seccomp eval FILE --nr N|--name NAME ...}: the verdict of the compiled program on
 * one {@code seccomp_data}, computed by the BPF interpreter and checked against the reference
 * evaluator {@link Policy#decide}, which also says what decided it.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Run a rule file's compiled program on one system call and print the verdict.",
            "The verdict (allow, errno:1, kill_thread, ...) comes from the BPF interpreter running the compiled",
            "program; it is checked against the rule model's own evaluation (exit 3 if they disagree). A second",
            "line says what decided it: a rule set and rule (ruleSets[I].syscalls[J].anyOf[K], as the",
            "rule file's JSON paths count), the default action or the bad-arch action.",
            "Values: decimal, 0x hex or negative decimal (two's complement); --nr is 32 bits (0x40000209 is",
            "x32's ptrace, 0xffffffff is -1)."})
final class SeccompEvalCommand implements Callable<Integer> {
    /** AUDIT_ARCH_I386 = EM_386 | __AUDIT_ARCH_LE (include/uapi/linux/audit.h): the "wrong arch" of --bad-arch. */
    static final int AUDIT_ARCH_I386 = 0x40000003;

    @ParentCommand
    Invocation parent;

    @Spec
    CommandSpec spec;

    @Mixin
    ArchOption arch;

    @Parameters(index = "0", paramLabel = "FILE", description = "Rule file (JSON), or with --oci an OCI/Docker profile.")
    Path file;

    @Mixin
    SeccompOci.Options oci;

    @Option(names = "--abi", paramLabel = "ABI",
            description = "--oci: the ABI of the call, one of the profile's (amd64, x86, x32, arm64, arm; default: the"
                    + " native one, the first of --arch).")
    String abi;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Syscall syscall;

    static final class Syscall {
        @Option(names = "--nr", paramLabel = "N", required = true, converter = SeccompConverters.NrConverter.class,
                description = "System call number: decimal (-2147483648..2147483647) or 0x hex (32 bits).")
        Integer nr;

        @Option(names = "--name", paramLabel = "NAME", required = true, description = "System call name (for --arch).")
        String name;
    }

    @Option(names = "--arg0", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 0 (default 0).")
    long arg0;
    @Option(names = "--arg1", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 1.")
    long arg1;
    @Option(names = "--arg2", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 2.")
    long arg2;
    @Option(names = "--arg3", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 3.")
    long arg3;
    @Option(names = "--arg4", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 4.")
    long arg4;
    @Option(names = "--arg5", paramLabel = "V", converter = SeccompConverters.U64Converter.class, description = "Argument 5.")
    long arg5;

    @Option(names = "--ip", paramLabel = "V", converter = SeccompConverters.U64Converter.class,
            description = "Instruction pointer (default 0; bit 63 set = a call from the vsyscall page).")
    long ip;

    @Option(names = "--bad-arch", description = "Use seccomp_data.arch = AUDIT_ARCH_I386 (0x40000003) instead of the target's.")
    boolean badArch;

    @Option(names = {"-v", "--verbose"}, description = "Also print the seccomp_data and the number of executed instructions.")
    boolean verbose;

    @Override
    public Integer call() {
        if (oci.oci) {
            return callOci();
        }
        if (abi != null) {
            throw new ParameterException(spec.commandLine(), "--abi needs --oci (a rule file has one arch: --arch)");
        }
        PrintStream out = parent.out();
        SyscallTable table = SeccompSupport.table(arch.get());
        int nr = number(table);
        Policy policy;
        Program program;
        try {
            policy = RuleFile.parse(SeccompSupport.readText(file), table, SeccompSupport.otherTables(table));
            program = SeccompCompiler.compile(policy, table);
        } catch (IllegalArgumentException e) {
            throw CliException.failed(SeccompSupport.printable(file.toString()) + ": " + e.getMessage());
        }
        SeccompData data = SeccompData.of(nr, badArch ? AUDIT_ARCH_I386 : table.auditArch(), ip,
                arg0, arg1, arg2, arg3, arg4, arg5);
        return evaluate(policy, program, data, table, verbose, out, parent.err(),
                spec.qualifiedName() + ": " + SeccompSupport.printable(file.toString()));
    }

    /** The --nr, or the number of --name in {@code table} (a name of another arch is said so). */
    private int number(SyscallTable table) {
        if (syscall.name == null) {
            return syscall.nr;
        }
        OptionalInt n = table.number(syscall.name);
        if (n.isEmpty()) {
            List<String> elsewhere = new ArrayList<>();
            for (SyscallTable other : SeccompSupport.otherTables(table)) {
                if (other.number(syscall.name).isPresent()) {
                    elsewhere.add(other.arch());
                }
            }
            throw new ParameterException(spec.commandLine(), elsewhere.isEmpty()
                    ? "unknown syscall " + SeccompSupport.quoted(syscall.name) + " on " + table.arch()
                    : "syscall " + SeccompSupport.quoted(syscall.name) + " is not on " + table.arch() + " (it is on "
                            + String.join(", ", elsewhere) + ")");
        }
        return n.getAsInt();
    }

    /** eval --oci: the profile resolved for --arch/--caps/--kernel, its filter, one call of --abi. */
    private int callOci() {
        PrintStream out = parent.out();
        String label = spec.qualifiedName() + ": " + SeccompSupport.printable(file.toString());
        OciResolver.Resolution res;
        try {
            res = SeccompOci.resolve(file, arch, oci, parent.err(), spec.qualifiedName());
        } catch (IllegalArgumentException e) {
            throw CliException.failed(label + ": " + e.getMessage());
        }
        java.util.List<String> abis = res.policy().parts().stream().map(p -> p.table().arch()).toList();
        String want = abi != null ? abi : abis.get(0);
        SyscallTable table = res.policy().parts().stream().map(dev.tether.seccomp.MultiArchPolicy.Part::table)
                .filter(t -> t.arch().equals(want)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(), "--abi " + SeccompSupport.quoted(want)
                        + " is not one of the profile's ABIs here: " + String.join(", ", abis)));
        int nr = number(table);
        SeccompData data = SeccompData.of(nr, badArch ? SeccompOciEval.NO_ARCH : table.auditArch(), ip,
                arg0, arg1, arg2, arg3, arg4, arg5);
        return SeccompOciEval.evaluate(res, table, data, verbose, out, parent.err(), label);
    }

    /**
     * Prints the program's verdict on {@code data} and, on a second line, what in the policy
     * decided it; exit code {@link ExitCode#DISAGREE} with a loud message on {@code err} when the rule
     * model's verdict differs.
     */
    static int evaluate(Policy policy, Program program, SeccompData data, SyscallTable table, boolean verbose,
            PrintStream out, PrintStream err, String label) {
        Interpreter.Result r = Interpreter.run(program, data.toBytes(SeccompSupport.ORDER), SeccompSupport.ORDER);
        Action compiled = Action.raw(r.value());
        Verdict verdict = policy.decide(data, table);
        Action reference = verdict.action();
        out.println(compiled);
        out.println("decided by " + verdict.describe(policy, table, data));
        if (verbose) {
            out.printf("%s%nexecuted %d of %d instructions; the rule model agrees: %s%n", data, r.executed(),
                    program.size(), compiled.equals(reference) ? "yes" : "NO");
        }
        if (!compiled.equals(reference)) {
            err.printf("%s: DISAGREEMENT (a compiler bug): the compiled program returns %s but the rules say %s for %s%n",
                    label, compiled, reference, data);
            return ExitCode.DISAGREE;
        }
        return ExitCode.OK;
    }
}
