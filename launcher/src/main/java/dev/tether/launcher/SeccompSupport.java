package dev.tether.launcher;

import dev.tether.abi.Clone;
import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * What the {@code tether seccomp} commands share. They run on the launcher's flat class path, not
 * inside Felix (the arm64 arch bundle does not resolve on an amd64 host, but its syscall table
 * is needed to compile for arm64): the arch jars' {@code META-INF/services} entries make their
 * {@link SyscallTable} and {@link SeccompContribution} available through {@link ServiceLoader}.
 */
final class SeccompSupport {
    /**
     * Byte order of {@code struct sock_filter} and {@code struct seccomp_data}: the native order,
     * little-endian on both arches Tether supports (amd64, arm64 Linux is LE).
     */
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** The most bytes read from a rule file: {@link RuleFile#MAX_INPUT_CHARS}, 4 MiB. */
    static final int MAX_RULE_FILE_BYTES = RuleFile.MAX_INPUT_CHARS;
    /**
     * The most bytes read from a compiled program file, 4 MiB: a program is at most 32 KiB raw
     * or about 100 KB as a JSON line, so this holds dozens of the largest.
     */
    static final int MAX_PROGRAM_BYTES = 4 << 20;
    /** How much of a value an error message quotes. */
    static final int SHOWN_CHARS = 80;

    private SeccompSupport() {
    }

    /** The host's arch ({@link HostArch#current()}); an unknown one is a command failure naming it. */
    static HostArch hostArch() {
        return hostArch(System.getProperty("os.arch", ""));
    }

    /** {@link HostArch#fromOsArch}, with an unknown value as a command failure that names it. */
    static HostArch hostArch(String osArch) {
        try {
            return HostArch.fromOsArch(osArch);
        } catch (IllegalArgumentException e) {
            throw CliException.failed(e.getMessage() + "; pass --arch");
        }
    }

    /** The syscall table of {@code arch}. */
    static SyscallTable table(HostArch arch) {
        for (SyscallTable t : ServiceLoader.load(SyscallTable.class, SeccompSupport.class.getClassLoader())) {
            if (t.arch().equals(arch.name())) {
                return t;
            }
        }
        throw CliException.failed("no syscall table for " + arch + " on the class path (is lib/"
                + arch.bundleSymbolicName() + ".jar there, with META-INF/services/" + SyscallTable.class.getName() + "?)");
    }

    /**
     * The tables of the arches other than {@code table}'s that are on the class path, for "not on
     * amd64 (it is on arm64)" messages.
     */
    static List<SyscallTable> otherTables(SyscallTable table) {
        List<SyscallTable> out = new ArrayList<>();
        for (SyscallTable t : ServiceLoader.load(SyscallTable.class, SeccompSupport.class.getClassLoader())) {
            if (!t.arch().equals(table.arch())) {
                out.add(t);
            }
        }
        return out;
    }

    /** The seccomp contribution of {@code arch}. */
    static SeccompContribution contribution(HostArch arch) {
        for (SeccompContribution c : ServiceLoader.load(SeccompContribution.class, SeccompSupport.class.getClassLoader())) {
            if (c.arch().equals(arch.name())) {
                return c;
            }
        }
        throw CliException.failed("no seccomp contribution for " + arch + " on the class path (is lib/"
                + arch.bundleSymbolicName() + ".jar there, with META-INF/services/" + SeccompContribution.class.getName() + "?)");
    }

    /**
     * Reads at most {@code limit} bytes of a file, in a bounded way: a file that has more (a huge
     * file, /dev/zero, whose size stat reports as 0) is refused after {@code limit + 1} bytes.
     *
     * @param what what the file should be, for the message ("rule file")
     * @throws IllegalArgumentException naming the problem, without the file name
     */
    static byte[] readBytes(Path file, int limit, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new IllegalArgumentException("larger than the limit of " + (limit >> 20) + " MiB (" + limit
                        + " bytes) for a " + what);
            }
            return bytes;
        } catch (IOException e) {
            throw new IllegalArgumentException(describe(e));
        }
    }

    /** An I/O failure as a few words: "no such file", "permission denied", "Is a directory". */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return "cannot read: " + f.getReason();
        }
        return "cannot read: " + e.getMessage();
    }

    /**
     * Reads a rule file: at most {@link #MAX_RULE_FILE_BYTES}, strict UTF-8.
     *
     * @throws IllegalArgumentException naming the problem, without the file name
     */
    static String readText(Path file) {
        byte[] bytes = readBytes(file, MAX_RULE_FILE_BYTES, "rule file");
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 text");
        }
    }

    /**
     * {@code text} quoted for an error message: at most {@value #SHOWN_CHARS} characters of it
     * (then "..." and its length), with quotes, backslashes, control and non-ASCII characters
     * escaped, so that a one-megabyte argument does not make a one-megabyte error line.
     */
    static String quoted(String text) {
        boolean cut = text.length() > SHOWN_CHARS;
        String part = cut ? text.substring(0, SHOWN_CHARS) : text;
        StringBuilder sb = new StringBuilder(part.length() + 32).append('"');
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return cut ? sb.append("...\" (").append(text.length()).append(" characters)").toString() : sb.append('"').toString();
    }

    /**
     * {@code text} as one line of printable ASCII, for text that is not quoted: characters
     * outside it become '?'. File names go through it into listings and messages, so that a name
     * with a newline or a terminal escape cannot forge lines.
     */
    static String printable(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    /**
     * {@code text} safe inside a C block comment: printable ASCII only ({@link #printable}), and
     * no {@code *}{@code /} (which would end the comment) nor {@code /}{@code *} (which gcc
     * -Wcomment warns about): a space goes between the two characters.
     */
    static String cComment(String text) {
        String p = printable(text);
        StringBuilder sb = new StringBuilder(p.length() + 8);
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            char prev = sb.length() == 0 ? 0 : sb.charAt(sb.length() - 1);
            if ((prev == '*' && c == '/') || (prev == '/' && c == '*')) {
                sb.append(' ');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /**
     * Parses and compiles one rule file.
     *
     * @throws IllegalArgumentException (RuleFileException, SeccompCompileException, ...) naming
     *         the problem, without the file name
     */
    static Program compileFile(Path file, SyscallTable table) {
        Policy policy = RuleFile.parse(readText(file), table, otherTables(table));
        return SeccompCompiler.compile(policy, table);
    }

    /** One line: {@code {"file": F, "program": [[code,jt,jf,k], ...]}}; k as unsigned decimal. */
    static String programJson(String file, Program p) {
        StringBuilder sb = new StringBuilder("{\"file\": ").append(MiniJson.quote(file)).append(", \"program\": [");
        for (int i = 0; i < p.size(); i++) {
            SockFilter f = p.get(i);
            sb.append(i == 0 ? "" : ", ").append('[').append(f.code()).append(", ").append(f.jt()).append(", ")
                    .append(f.jf()).append(", ").append(Integer.toUnsignedString(f.k())).append(']');
        }
        return sb.append("]}").toString();
    }

    /** One line: {@code {"file": F, "error": "..."}}. */
    static String errorJson(String file, String message) {
        return "{\"file\": " + MiniJson.quote(file) + ", \"error\": " + MiniJson.quote(message) + "}";
    }

    /**
     * {@code struct sock_filter NAME[] = {...};} plus its length, for C programs that install the
     * filter themselves ({@code struct sock_fprog} wants an {@code unsigned short len}). The
     * comment goes through {@link #cComment}; {@code name} must be a {@link #cName}.
     */
    static String programC(String name, String comment, Program p) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a C identifier: " + quoted(name));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("/* ").append(cComment(comment)).append(" */\n");
        sb.append("struct sock_filter ").append(name).append("[] = {\n");
        for (int i = 0; i < p.size(); i++) {
            SockFilter f = p.get(i);
            sb.append(String.format("\t{0x%02x, %d, %d, 0x%08x},%n", f.code(), f.jt(), f.jf(), f.k()));
        }
        sb.append("};\n");
        sb.append("const unsigned short ").append(name).append("_len = ").append(p.size()).append(";\n");
        return sb.toString();
    }

    /**
     * A C identifier from a file name: {@code rules/stub.json} gives {@code stub_json}; every
     * character but {@code [A-Za-z0-9_]} becomes '_'.
     */
    static String cName(Path file) {
        String base = file.getFileName() == null ? "filter" : file.getFileName().toString();
        StringBuilder sb = new StringBuilder();
        for (char c : base.toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            sb.append(ok ? c : '_');
        }
        if (sb.length() == 0 || Character.isDigit(sb.charAt(0))) {
            sb.insert(0, '_');
        }
        return sb.toString();
    }

    /**
     * Reads a program written by {@code seccomp compile}: raw {@code struct sock_filter} bytes
     * (native order) or the JSON lines. Raw programs always contain a zero byte (a
     * {@code sock_filter} has a 16-bit opcode below 0x100 and jt/jf bytes), JSON text never does.
     *
     * @return the programs with their names (the JSON "file" or the file name)
     * @throws IllegalArgumentException naming the problem
     */
    static List<Named> readPrograms(Path file) {
        byte[] bytes;
        try {
            bytes = readBytes(file, MAX_PROGRAM_BYTES, "compiled program");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        List<Named> list = new ArrayList<>();
        boolean raw = false;
        for (byte b : bytes) {
            if (b == 0) {
                raw = true;
                break;
            }
        }
        if (raw) {
            if (bytes.length % SockFilter.SIZE != 0) {
                throw new IllegalArgumentException(file + ": " + bytes.length
                        + " bytes is not a whole number of 8-byte sock_filter instructions");
            }
            list.add(new Named(file.toString(), Program.fromBytes(bytes, ORDER)));
            return list;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (looksLikeRuleFile(text)) {
            throw new IllegalArgumentException(file + " is a rule file, not a compiled program; compile it first: "
                    + "tether seccomp compile " + file + " > program.json");
        }
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String where = file + " line " + lineNo;
            Object v;
            try {
                v = MiniJson.parse(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": neither raw sock_filter bytes nor a JSON line of "
                        + "`seccomp compile`: " + e.getMessage());
            }
            if (v instanceof List) {
                list.add(new Named(file.toString(), program(v, where)));
                continue;
            }
            if (!(v instanceof Map)) {
                throw new IllegalArgumentException(where + ": expected {\"file\": ..., \"program\": [...]}");
            }
            Map<?, ?> m = (Map<?, ?>) v;
            Object name = m.get("file");
            String label = name instanceof String ? (String) name : file.toString();
            if (m.containsKey("error")) {
                throw new IllegalArgumentException(where + ": " + printable(label) + " did not compile: "
                        + (m.get("error") instanceof String e ? quoted(e) : "?"));
            }
            if (!m.containsKey("program")) {
                throw new IllegalArgumentException(where + ": no \"program\"");
            }
            list.add(new Named(label, program(m.get("program"), where)));
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException(file + ": no program in it");
        }
        return list;
    }

    private static boolean looksLikeRuleFile(String text) {
        try {
            Object v = MiniJson.parse(text);
            return v instanceof Map && ((Map<?, ?>) v).containsKey("ruleSets");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Program program(Object v, String where) {
        if (!(v instanceof List)) {
            throw new IllegalArgumentException(where + ": \"program\" must be an array of [code, jt, jf, k]");
        }
        List<int[]> insns = new ArrayList<>();
        int i = 0;
        for (Object o : (List<?>) v) {
            if (!(o instanceof List) || ((List<?>) o).size() != 4) {
                throw new IllegalArgumentException(where + ": instruction " + i + " is not [code, jt, jf, k]");
            }
            int[] a = new int[4];
            for (int j = 0; j < 4; j++) {
                Object n = ((List<?>) o).get(j);
                if (!(n instanceof BigInteger)) {
                    throw new IllegalArgumentException(where + ": instruction " + i + " has a non-integer field");
                }
                BigInteger b = (BigInteger) n;
                long max = j == 0 ? 0xffffL : j < 3 ? 0xffL : 0xffffffffL;
                if (b.signum() < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
                    throw new IllegalArgumentException(where + ": instruction " + i + " field " + j + " = " + b
                            + " is out of range 0.." + max);
                }
                a[j] = (int) b.longValue();
            }
            insns.add(a);
            i++;
        }
        if (insns.isEmpty()) {
            throw new IllegalArgumentException(where + ": empty program");
        }
        return Program.fromArrays(insns);
    }

    /** A program and where it came from. */
    record Named(String name, Program program) {
    }

    /**
     * The clone flags of a new stub process in each mode (gVisor's createStub in
     * subprocess_linux.go; docs/architecture.md, section 6): CLONE_FILES
     * with exit signal 0 (contained: a dying stub signals nobody) or SIGKILL (fail-stop, gVisor's
     * 0x409). The stub policy allows exactly this value as clone's first argument.
     */
    static long processCloneFlags(FailureMode mode) {
        return mode == FailureMode.FAIL_STOP ? StubPolicy.SEED_PROCESS_CLONE_FLAGS : Clone.CLONE_FILES;
    }
}
