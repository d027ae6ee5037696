package dev.tether.launcher;

import dev.tether.api.HostArch;
import dev.tether.bpf.Bpf;
import dev.tether.bpf.BpfException;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import dev.tether.seccomp.Explain;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SeccompDisassembler;
import dev.tether.seccomp.SeccompValidator;
import dev.tether.seccomp.SyscallTable;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tether seccomp explain PROGRAM}: listing and execution statistics of a compiled program. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Show a compiled seccomp program: its listing and how many instructions it executes.",
            "PROGRAM is the output of `seccomp compile`: JSON lines (every program in the file is explained)",
            "or raw struct sock_filter bytes (recognised by their zero bytes). Statistics: for every syscall",
            "number 0..MAX-NR, the instructions executed over inputs that reach each of the program's",
            "comparisons (max and mean), and the syscalls with the costliest worst case."})
final class SeccompExplainCommand implements Callable<Integer> {
    @ParentCommand
    Invocation parent;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: the one whose audit arch the "
                    + "program checks first, else the host's).")
    HostArch arch;

    @Spec
    CommandSpec spec;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10", converter = SeccompConverters.IntConverter.class,
            description = "How many of the costliest syscalls to list, 0 or more (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--max-nr", paramLabel = "MAX-NR", defaultValue = "" + Explain.DEFAULT_MAX_NR,
            converter = SeccompConverters.IntConverter.class,
            description = "Highest syscall number to run, 0.." + Explain.MAX_NR + " (default: ${DEFAULT-VALUE}).")
    int maxNr;

    @Option(names = "--no-listing", description = "Statistics only.")
    boolean noListing;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "Compiled program (JSON or raw), or with --oci an OCI/Docker"
            + " profile (compiled first, as runc would load it; explained for its native ABI).")
    Path file;

    @picocli.CommandLine.Mixin
    SeccompOci.Options oci;

    @Option(names = "--abis", paramLabel = "ABI[,ABI...]", split = ",",
            description = "--oci: the ABIs of the filter, the first native (default: the host's and its archMap sub-arches).")
    List<String> abis;

    @Override
    public Integer call() {
        if (maxNr < 0 || maxNr > Explain.MAX_NR) {
            throw new ParameterException(spec.commandLine(), "--max-nr must be 0.." + Explain.MAX_NR + ", got " + maxNr);
        }
        if (top < 0) {
            throw new ParameterException(spec.commandLine(), "--top must be 0 or more, got " + top);
        }
        PrintStream out = parent.out();
        List<SeccompSupport.Named> programs;
        try {
            programs = oci.oci ? List.of(ociProgram()) : SeccompSupport.readPrograms(file);
        } catch (IllegalArgumentException e) {
            throw CliException.failed(e.getMessage());
        }
        for (SeccompSupport.Named n : programs) {
            try {
                // the checks the kernel makes when the filter is installed
                SeccompValidator.check(n.program());
            } catch (BpfException e) {
                throw CliException.failed(SeccompSupport.printable(n.name()) + ": not a valid seccomp program: " + e.getMessage());
            }
            HostArch a = arch != null ? arch : detect(n.program());
            SyscallTable table = SeccompSupport.table(a);
            out.printf("# %s: %d instructions, explained for %s (audit arch 0x%08x)%n", SeccompSupport.printable(n.name()),
                    n.program().size(),
                    a, table.auditArch());
            if (!noListing) {
                out.print(SeccompDisassembler.disassemble(n.program(), nr -> table.name(nr).orElse(null)));
                out.println();
            }
            out.print(explain(n.program(), table, maxNr, top));
            out.println();
        }
        return ExitCode.OK;
    }

    /** --oci: the profile resolved and compiled for its ABIs (MultiArchCompiler), named after the file. */
    private SeccompSupport.Named ociProgram() {
        ArchOption archs = new ArchOption();
        archs.arches = abis;
        dev.tether.seccomp.OciResolver.Resolution res = SeccompOci.resolve(file, archs, oci, parent.err(), spec.qualifiedName());
        return new SeccompSupport.Named(file.toString(), dev.tether.seccomp.MultiArchCompiler.compile(res.policy()));
    }

    /** The statistics part, also used by the demo. */
    static String explain(Program p, SyscallTable table, int maxNr, int top) {
        return Explain.of(p, table, maxNr).format(table, top);
    }

    /**
     * The arch whose audit arch the program compares {@code seccomp_data.arch} with in its first
     * two instructions (the compiler's prologue: {@code ld [4]; jeq #AUDIT_ARCH}), else the host's.
     */
    static HostArch detect(Program p) {
        if (p.size() >= 2 && p.get(0).equals(SockFilter.stmt(Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS, SeccompData.OFFSET_ARCH))
                && p.get(1).code() == (Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K)) {
            for (HostArch a : HostArch.values()) {
                if (SeccompSupport.table(a).auditArch() == p.get(1).k()) {
                    return a;
                }
            }
        }
        return SeccompSupport.hostArch();
    }
}
