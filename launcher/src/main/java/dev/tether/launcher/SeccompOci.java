package dev.tether.launcher;

import dev.tether.seccomp.CompatSyscallTables;
import dev.tether.seccomp.OciProfile;
import dev.tether.seccomp.OciResolver;
import dev.tether.seccomp.SyscallTable;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import picocli.CommandLine.Option;

/** The {@code --oci} options of {@code seccomp compile/eval/explain}, and reading a profile with them. */
final class SeccompOci {
    /** The mixin. */
    static final class Options {
        @Option(names = "--oci", description = "The files are OCI/Docker seccomp profiles (linux.seccomp), not rule files.")
        boolean oci;

        @Option(names = "--caps", paramLabel = "CAPS", split = ",",
                description = "--oci: the container's bounding capabilities (CAP_X or X; \"default\" = Docker's default set,"
                        + " the default).")
        List<String> caps;

        @Option(names = "--kernel", paramLabel = "MAJOR.MINOR",
                description = "--oci: the kernel includes/excludes.minKernel compare with (default: the running kernel).")
        String kernel;

        @Option(names = "--strict", description = "--oci: syscall names unknown on an arch are errors, not warnings.")
        boolean strict;
    }

    private SeccompOci() {
    }

    /** Every table: the arch bundles' (ServiceLoader) and the data ones (x86, x32, arm). */
    static Map<String, SyscallTable> tables() {
        Map<String, SyscallTable> out = new LinkedHashMap<>();
        for (SyscallTable t : ServiceLoader.load(SyscallTable.class, SeccompOci.class.getClassLoader())) {
            out.put(t.arch(), t);
        }
        for (SyscallTable t : CompatSyscallTables.all()) {
            out.put(t.arch(), t);
        }
        return out;
    }

    /** The resolver's options from the command line. */
    static OciResolver.Options options(ArchOption arch, Options o) {
        List<String> arches = arch.list();
        String nat = arches.isEmpty() ? SeccompSupport.hostArch().name() : arches.get(0);
        Set<String> caps = new LinkedHashSet<>();
        if (o.caps == null) {
            caps.addAll(OciResolver.DOCKER_DEFAULT_CAPS);
        } else {
            for (String c : o.caps) {
                String u = c.trim().toUpperCase(Locale.ROOT);
                if (u.equals("DEFAULT")) {
                    caps.addAll(OciResolver.DOCKER_DEFAULT_CAPS);
                } else if (!u.isEmpty()) {
                    caps.add(u.startsWith("CAP_") ? u : "CAP_" + u);
                }
            }
        }
        String k = o.kernel != null ? o.kernel : System.getProperty("os.version", "");
        OciResolver.KernelVersion kv;
        try {
            kv = OciResolver.KernelVersion.parse(k);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.USAGE, (o.kernel != null ? "--kernel: " : "the running kernel: ") + e.getMessage());
        }
        return new OciResolver.Options(nat, arches, caps, kv, o.strict);
    }

    /** Reads and resolves a profile; warnings go to {@code err}, prefixed with the file. */
    static OciResolver.Resolution resolve(Path file, ArchOption arch, Options o, PrintStream err, String who) {
        OciProfile profile = OciProfile.parse(SeccompSupport.readText(file));
        OciResolver.Resolution res = OciResolver.resolve(profile, options(arch, o), tables());
        for (String w : res.warnings()) {
            err.println(who + ": " + SeccompSupport.printable(file.toString()) + ": warning: " + w);
        }
        return res;
    }
}
