package dev.tether.guest.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test programs built with the host's gcc at test time, and what binutils' readelf says of them. */
final class GccPrograms {
    static final String HELLO = "#include <stdio.h>\nint main(void) { puts(\"hello from a guest\"); return 0; }\n";

    /** Prints the auxv keys the kernel gave it, one per line, then "strings" facts about its stack. */
    static final String AUXV_DUMP = """
            #include <stdio.h>
            #include <string.h>
            #include <elf.h>
            int main(int argc, char **argv, char **envp) {
                char **e = envp;
                while (*e) e++;
                Elf64_auxv_t *a = (Elf64_auxv_t *)(e + 1);
                char *execfn = 0;
                for (; a->a_type != AT_NULL; a++) {
                    printf("aux %lu\\n", (unsigned long)a->a_type);
                    if (a->a_type == AT_EXECFN) execfn = (char *)a->a_un.a_val;
                }
                /* where each string starts, relative to argv[0]: argv, then envp, then AT_EXECFN */
                for (int i = 0; i < argc; i++) printf("str %ld\\n", (long)(argv[i] - argv[0]));
                for (char **p = envp; *p; p++) printf("str %ld\\n", (long)(*p - argv[0]));
                printf("str %ld\\n", (long)(execfn - argv[0]));
                printf("sp %ld\\n", (long)(((unsigned long)(argv) - 8) % 16));
                return 0;
            }
            """;

    private GccPrograms() {
    }

    /** Compiles {@code source} with {@code flags} into {@code dir}/{@code name}. */
    static Path build(Path dir, String name, String source, String... flags) throws IOException, InterruptedException {
        Path c = dir.resolve(name + ".c");
        Files.writeString(c, source);
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-o", out.toString()));
        cmd.addAll(List.of(flags));
        cmd.add(c.toString());
        run(cmd);
        return out;
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + rc + ": " + out);
        }
        return out;
    }

    /** A PT_LOAD line of {@code readelf -lW}. */
    record Load(long offset, long vaddr, long filesz, long memsz, String flags, long align) {
    }

    private static final Pattern LOAD = Pattern.compile(
            "^\\s+LOAD\\s+0x(\\p{XDigit}+)\\s+0x(\\p{XDigit}+)\\s+0x\\p{XDigit}+\\s+0x(\\p{XDigit}+)\\s+0x(\\p{XDigit}+)\\s+([RWE ]{3})\\s+0x(\\p{XDigit}+)",
            Pattern.MULTILINE);

    static List<Load> readelfLoads(Path elf) throws IOException, InterruptedException {
        String out = run(List.of("readelf", "-lW", elf.toString()));
        List<Load> loads = new ArrayList<>();
        Matcher m = LOAD.matcher(out);
        while (m.find()) {
            loads.add(new Load(Long.parseLong(m.group(1), 16), Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3), 16),
                    Long.parseLong(m.group(4), 16), m.group(5), Long.parseLong(m.group(6), 16)));
        }
        return loads;
    }

    /** "Entry point address", "Type" ("EXEC"/"DYN"), "Number of program headers" of {@code readelf -hW}. */
    static String readelfHeader(Path elf, String field) throws IOException, InterruptedException {
        String out = run(List.of("readelf", "-hW", elf.toString()));
        Matcher m = Pattern.compile("^\\s+" + Pattern.quote(field) + ":\\s+(\\S+)", Pattern.MULTILINE).matcher(out);
        if (!m.find()) {
            throw new IOException("readelf -h has no " + field + ": " + out);
        }
        return m.group(1);
    }
}
