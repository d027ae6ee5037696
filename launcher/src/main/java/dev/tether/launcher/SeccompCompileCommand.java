package dev.tether.launcher;

import dev.tether.bpf.Program;
import dev.tether.seccomp.MultiArchCompiler;
import dev.tether.seccomp.OciExport;
import dev.tether.seccomp.OciResolver;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompDisassembler;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            "text: an annotated listing; c: a struct sock_filter array and its length; oci: the rule file",
            "written back as an OCI seccomp profile (not a program). --oci reads OCI/Docker profiles instead.",
            "Output goes to stdout or -o OUT (written whole, or not at all). raw with several files needs",
            "-o DIR (an existing directory): each program is written to DIR/<file name>.bpf (two inputs",
            "with the same name are refused). Rule files are read up to 4 MiB.",
            "Exit 0 only if every file compiled (1 otherwise, 2 for bad usage)."})
final class SeccompCompileCommand implements Callable<Integer> {
    enum Format { json, raw, text, c, oci }

    @ParentCommand
    Invocation parent;

    @Spec
    CommandSpec spec;

    @Mixin
    ArchOption arch;

    @Mixin
    SeccompOci.Options oci;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Output file (raw with several files: a directory).")
    Path output;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule files (JSON).")
    List<Path> files;

    /** Where the output goes: standard output, or an {@link OutputFile}. */
    private interface Sink {
        void text(String s);

        void bytes(byte[] b);
    }

    @Override
    public Integer call() {
        PrintStream err = parent.err();
        boolean rawToDir = format == Format.raw && files.size() > 1;
        // Everything the command line can get wrong is refused before anything is written.
        Map<Path, Path> targets = new LinkedHashMap<>();
        if (rawToDir) {
            if (output == null || !Files.isDirectory(output)) {
                throw new ParameterException(spec.commandLine(),
                        "--format raw with " + files.size() + " files needs -o DIR, an existing directory");
            }
            Map<Path, Path> first = new HashMap<>();
            for (Path file : files) {
                Path target = output.resolve(file.getFileName() + ".bpf");
                Path other = first.putIfAbsent(target, file);
                if (other != null) {
                    throw new ParameterException(spec.commandLine(), other + " and " + file + " would both be written to "
                            + target + ": give them different names, or compile them in separate calls");
                }
                targets.put(file, target);
            }
        } else if (output != null) {
            OutputFile.check(spec.commandLine(), "-o", output);
        }
        if (oci.oci && format == Format.oci) {
            throw new ParameterException(spec.commandLine(), "--format oci writes rule files as profiles: not with --oci");
        }
        SyscallTable table = oci.oci ? null : SeccompSupport.table(arch.get());
        int failed = 0;
        Set<String> cNames = new HashSet<>();
        Map<Path, byte[]> rawPrograms = new LinkedHashMap<>();
        boolean wrote = false;
        try (OutputFile file = output == null || rawToDir ? null : OutputFile.create("-o", output)) {
            Sink sink = file == null ? stdout(parent.out()) : to(file);
            for (Path path : files) {
                Program p;
                SyscallTable shownTable = table;
                try {
                    if (format == Format.oci) {
                        OciExport.Result r = OciExport.write(RuleFile.parse(SeccompSupport.readText(path), table,
                                SeccompSupport.otherTables(table)), table);
                        for (String w : r.warnings()) {
                            err.println(spec.qualifiedName() + ": " + SeccompSupport.printable(path.toString()) + ": warning: " + w);
                        }
                        sink.text(r.json());
                        wrote = true;
                        continue;
                    }
                    if (oci.oci) {
                        OciResolver.Resolution res = SeccompOci.resolve(path, arch, oci, err, spec.qualifiedName());
                        p = MultiArchCompiler.compile(res.policy());
                        shownTable = res.policy().parts().get(0).table();
                    } else {
                        p = SeccompSupport.compileFile(path, table);
                    }
                } catch (RuntimeException | StackOverflowError e) {
                    // one file's failure, reported on its own; the other files still compile
                    failed++;
                    String why = e instanceof IllegalArgumentException ? e.getMessage() : "internal error: " + e;
                    if (format == Format.json) {
                        sink.text(SeccompSupport.errorJson(path.toString(), why) + "\n");
                        wrote = true;
                    } else {
                        err.println(spec.qualifiedName() + ": " + SeccompSupport.printable(path.toString()) + ": " + why);
                    }
                    continue;
                }
                wrote = true;
                String shown = SeccompSupport.printable(path.toString());
                SyscallTable t = shownTable;
                switch (format) {
                    case json:
                        sink.text(SeccompSupport.programJson(path.toString(), p) + "\n");
                        break;
                    case text:
                        sink.text(String.format("# %s: %s (audit arch 0x%08x), %d instructions%n", shown, t.arch(),
                                t.auditArch(), p.size())
                                + SeccompDisassembler.disassemble(p, nr -> t.name(nr).orElse(null)) + "\n");
                        break;
                    case c:
                        String name = SeccompSupport.cName(path);
                        for (int i = 2; !cNames.add(name); i++) {
                            name = SeccompSupport.cName(path) + "_" + i;
                        }
                        sink.text(SeccompSupport.programC(name, path + ": seccomp filter for " + t.arch()
                                + String.format(" (AUDIT_ARCH 0x%08x), %d instructions", t.auditArch(), p.size()), p));
                        break;
                    default: // raw
                        byte[] bytes = p.toBytes(SeccompSupport.ORDER);
                        if (rawToDir) {
                            rawPrograms.put(targets.get(path), bytes);
                        } else {
                            sink.bytes(bytes);
                        }
                }
            }
            if (file != null && wrote) {
                file.commit(); // else: nothing to write, and no file (a raw program that did not compile)
            }
        }
        if (rawToDir) {
            writeAll(rawPrograms);
        }
        return failed == 0 ? ExitCode.OK : ExitCode.FAILED;
    }

    /** Writes every program to its file, all or none: temporary files first, then the moves. */
    private static void writeAll(Map<Path, byte[]> programs) {
        List<OutputFile> written = new ArrayList<>();
        try {
            for (Map.Entry<Path, byte[]> e : programs.entrySet()) {
                OutputFile f = OutputFile.create("-o", e.getKey());
                written.add(f);
                try {
                    f.stream().write(e.getValue());
                } catch (IOException x) {
                    throw f.failed(x);
                }
            }
            for (OutputFile f : written) {
                f.commit();
            }
        } finally {
            for (OutputFile f : written) {
                f.close(); // deletes what was not committed
            }
        }
    }

    /** Standard output; a failed write stops the command (PrintStream only keeps a flag). */
    private static Sink stdout(PrintStream out) {
        return new Sink() {
            @Override
            public void text(String s) {
                out.print(s);
                check();
            }

            @Override
            public void bytes(byte[] b) {
                out.write(b, 0, b.length);
                check();
            }

            private void check() {
                out.flush();
                if (out.checkError()) {
                    throw new CliException(ExitCode.FAILED, "cannot write to standard output" + CheckedPrintStream.writeFailure(out));
                }
            }
        };
    }

    private static Sink to(OutputFile file) {
        return new Sink() {
            @Override
            public void text(String s) {
                bytes(s.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void bytes(byte[] b) {
                try {
                    file.stream().write(b);
                } catch (IOException e) {
                    throw file.failed(e);
                }
            }
        };
    }
}
