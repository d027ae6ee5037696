package dev.tether.launcher;

import dev.tether.bpf.Disassembler;
import dev.tether.bpf.Program;
import dev.tether.seccomp.SyscallTable;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code tether seccomp compile FILE...}: rule files to seccomp BPF, all in one JVM. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Compile rule files into seccomp BPF programs.",
            "Formats: json (default) one line per file, {\"file\": F, \"program\": [[code,jt,jf,k], ...]} or",
            "{\"file\": F, \"error\": \"...\"}; raw: the kernel's struct sock_filter array (little-endian);",
            "text: an annotated listing; c: a struct sock_filter array and its length.",
            "Output goes to stdout or -o OUT. raw with several files needs -o DIR (an existing directory):",
            "each program is written to DIR/<file name>.bpf. Exit 0 only if every file compiled."})
final class SeccompCompileCommand implements Callable<Integer> {
    enum Format { json, raw, text, c }

    @ParentCommand
    SeccompCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    SeccompCommand.ArchOption arch;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Output file (raw with several files: a directory).")
    Path output;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule files (JSON).")
    List<Path> files;

    @Override
    public Integer call() throws IOException {
        PrintStream err = parent.root.err;
        boolean rawToDir = format == Format.raw && files.size() > 1;
        if (rawToDir && (output == null || !Files.isDirectory(output))) {
            throw new ParameterException(spec.commandLine(),
                    "--format raw with " + files.size() + " files needs -o DIR, an existing directory");
        }
        if (!rawToDir && output != null && Files.isDirectory(output)) {
            throw new ParameterException(spec.commandLine(), "-o " + output + " is a directory");
        }
        SyscallTable table = SeccompSupport.table(arch.get());
        int failed = 0;
        Set<String> cNames = new HashSet<>();
        OutputStream sink = rawToDir ? null : output == null ? parent.root.out
                : new BufferedOutputStream(Files.newOutputStream(output));
        PrintStream out = sink == null ? null : sink instanceof PrintStream ? (PrintStream) sink
                : new PrintStream(sink, false, StandardCharsets.UTF_8);
        try {
            for (Path file : files) {
                Program p;
                try {
                    p = SeccompSupport.compileFile(file, table);
                } catch (IllegalArgumentException e) {
                    failed++;
                    if (format == Format.json) {
                        out.println(SeccompSupport.errorJson(file.toString(), e.getMessage()));
                    } else {
                        err.println(spec.qualifiedName() + ": " + file + ": " + e.getMessage());
                    }
                    continue;
                }
                switch (format) {
                    case json:
                        out.println(SeccompSupport.programJson(file.toString(), p));
                        break;
                    case text:
                        out.printf("# %s: %s (audit arch 0x%08x), %d instructions%n", file, table.arch(),
                                table.auditArch(), p.size());
                        out.print(Disassembler.disassembleSeccomp(p, nr -> table.name(nr).orElse(null)));
                        out.println();
                        break;
                    case c:
                        String name = SeccompSupport.cName(file);
                        for (int i = 2; !cNames.add(name); i++) {
                            name = SeccompSupport.cName(file) + "_" + i;
                        }
                        out.print(SeccompSupport.programC(name, file + ": seccomp filter for " + table.arch()
                                + String.format(" (AUDIT_ARCH 0x%08x), %d instructions", table.auditArch(), p.size()), p));
                        break;
                    default: // raw
                        byte[] bytes = p.toBytes(SeccompSupport.ORDER);
                        if (rawToDir) {
                            Files.write(output.resolve(file.getFileName() + ".bpf"), bytes);
                        } else {
                            out.write(bytes);
                        }
                }
            }
        } finally {
            if (out != null) {
                out.flush();
                if (output != null) {
                    out.close();
                }
            }
        }
        return failed == 0 ? Main.OK : Main.FAILED;
    }
}
