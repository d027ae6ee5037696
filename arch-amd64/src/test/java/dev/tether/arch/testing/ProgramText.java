package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads an assembled program by its GNU assembler text, for the stub program tests of both arches. */
public final class ProgramText {
    private ProgramText() {
    }

    /** The texts of the instructions that start in {@code [from, to)}, in order. */
    public static List<String> texts(Program p, int from, int to) {
        List<String> out = new ArrayList<>();
        for (Line l : p.lines()) {
            if (l.offset() >= from && l.offset() < to) {
                out.add(l.text());
            }
        }
        return out;
    }

    /** The texts of every instruction, in order. */
    public static List<String> texts(Program p) {
        return texts(p, 0, p.code().length);
    }

    /** The instruction at {@code offset}. */
    public static Line lineAt(Program p, int offset) {
        return p.lines().stream().filter(l -> l.offset() == offset).findFirst()
                .orElseThrow(() -> new AssertionError("no instruction at offset " + offset));
    }

    /** The first instruction whose text is {@code text}. */
    public static Line lineWith(Program p, String text) {
        return p.lines().stream().filter(l -> l.text().equals(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no instruction \"" + text + "\""));
    }

    /**
     * Names of the syscalls in program order: at each instruction whose text is
     * {@code syscallText}, the number that the last instruction matching {@code setNumber} (group 1,
     * decimal) put in the syscall-number register, named by {@code table}.
     */
    public static List<String> syscallSequence(Program p, SyscallTable table, Pattern setNumber, String syscallText) {
        return syscallSequence(p, table, Map.of(), setNumber, syscallText);
    }

    /**
     * {@link #syscallSequence(Program, SyscallTable, Pattern, String)}, naming numbers the table
     * lacks (syscalls newer than the headers it was generated from) by {@code newer}.
     */
    public static List<String> syscallSequence(Program p, SyscallTable table, Map<Integer, String> newer,
            Pattern setNumber, String syscallText) {
        List<String> out = new ArrayList<>();
        Integer nr = null;
        for (Line l : p.lines()) {
            Matcher m = setNumber.matcher(l.text());
            if (m.matches()) {
                nr = Integer.valueOf(m.group(1));
            } else if (l.text().equals(syscallText)) {
                assertNotNull(nr, "\"" + syscallText + "\" at " + l.offset() + " before any syscall number is set");
                int n = nr;
                out.add(table.name(n).or(() -> Optional.ofNullable(newer.get(n))).orElseThrow(() -> new AssertionError(
                        "syscall " + n + " at " + l.offset() + " is not in the " + table.arch() + " table")));
            }
        }
        return out;
    }
}
