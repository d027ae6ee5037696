package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.spi.StubProgram;
import dev.tether.spi.support.AssembledStubProgram;
import dev.tether.spi.support.Assembler;
import dev.tether.spi.support.GeneratedSyscallTable;
import dev.tether.spi.support.WordRegisterLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The arch-neutral bases of dev.tether.spi.support on inputs no real arch gives them: a toy
 * one-byte encoder, and facts that must be rejected with a message naming what is wrong. (Both
 * arch bundles' tests cover the bases with real facts.)
 */
class SupportBasesTest {
    /** A toy encoder: each item is one byte, its text "db N", or a broken one that drops items. */
    static final class ByteAssembler extends Assembler<ByteAssembler, Integer> {
        private final boolean dropLast;

        ByteAssembler(boolean dropLast) {
            super("\t.text\n", b -> String.format("%02x | ", b[0]));
            this.dropLast = dropLast;
        }

        @Override
        protected ByteAssembler self() {
            return this;
        }

        ByteAssembler db(int b) {
            return add(b);
        }

        @Override
        protected List<byte[]> encode() {
            List<byte[]> out = new ArrayList<>();
            for (int b : items()) {
                out.add(new byte[] {(byte) b});
            }
            return dropLast ? out.subList(0, out.size() - 1) : out;
        }

        @Override
        protected String text(Integer item) {
            return ".byte " + item;
        }
    }

    @Test
    void labelsSharingAnOffsetAndAtTheEndAreListedInBindingOrder() {
        ByteAssembler a = new ByteAssembler(false);
        Assembler.Label first = a.label("first");
        Assembler.Label second = a.label("second");
        Assembler.Label end = a.label("end");
        a.db(1).bind(first).bind(second).db(2).bind(end);
        Assembler.Program p = a.assemble();
        assertArrayEquals(new byte[] {1, 2}, p.code());
        assertEquals(List.of("first", "second", "end"), List.copyOf(p.labels().keySet()));
        assertEquals(1, p.offsetOf("second"));
        assertEquals(2, p.offsetOf("end"));
        assertEquals("\t.text\n\t.byte 1\nfirst:\nsecond:\n\t.byte 2\nend:\n", p.gnuSource());
        String nl = System.lineSeparator(); // instruction lines end in %n, label lines in \n
        assertEquals("  0000: 01 | .byte 1" + nl + "first:\nsecond:\n  0001: 02 | .byte 2" + nl + "end:\n",
                p.listing());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.offsetOf("middle"));
        assertTrue(e.getMessage().contains("[first, second, end]"), e.getMessage());
    }

    @Test
    void programsAreImmutable() {
        ByteAssembler a = new ByteAssembler(false);
        Assembler.Program p = a.db(7).assemble();
        p.code()[0] = 9;
        p.lines().get(0).bytes()[0] = 9;
        assertEquals(7, p.code()[0]);
        assertEquals(7, p.lines().get(0).bytes()[0]);
        assertThrows(UnsupportedOperationException.class, () -> p.lines().add(p.lines().get(0)));
        assertThrows(UnsupportedOperationException.class, () -> p.labels().put("x", 0));
    }

    @Test
    void anEncoderThatLosesInstructionsIsCaught() {
        ByteAssembler a = new ByteAssembler(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.db(1).db(2).assemble());
        assertTrue(e.getMessage().contains("1 of 2"), e.getMessage());
    }

    /** A layout over three words, for the constructor checks. */
    private static final class TinyLayout extends WordRegisterLayout {
        TinyLayout(List<String> names, int[] args, int ip) {
            super("tiny", "tiny_regs", names, 0, args, 0, ip, 1, 2, 1, 2);
        }
    }

    @Test
    void registerFactsAreChecked() {
        int[] six = {0, 1, 2, 0, 1, 2};
        TinyLayout ok = new TinyLayout(List.of("a", "b", "c"), six, 2);
        assertEquals(24, ok.regsetSize());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> new TinyLayout(List.of("a", "b", "a"), six, 2));
        assertTrue(dup.getMessage().contains("duplicate"), dup.getMessage());
        IllegalArgumentException five = assertThrows(IllegalArgumentException.class,
                () -> new TinyLayout(List.of("a", "b", "c"), new int[] {0, 1, 2, 0, 1}, 2));
        assertTrue(five.getMessage().contains("5 syscall argument registers"), five.getMessage());
        IllegalArgumentException ip = assertThrows(IllegalArgumentException.class,
                () -> new TinyLayout(List.of("a", "b", "c"), six, 3));
        assertTrue(ip.getMessage().contains("instruction pointer word 3") && ip.getMessage().contains("0..2"),
                ip.getMessage());
    }

    /** A table over the given arrays. */
    private static final class TinyTable extends GeneratedSyscallTable {
        TinyTable(String[] names, int[] numbers) {
            super("tiny", 0x1234, "a test", names, numbers);
        }
    }

    @Test
    void syscallTablesAreChecked() {
        TinyTable ok = new TinyTable(new String[] {"read", "write"}, new int[] {0, 1});
        assertEquals(1, ok.require("write"));
        assertEquals("SyscallTable[tiny, 2 syscalls from a test]", ok.toString());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> new TinyTable(new String[] {"read", "write"}, new int[] {0}));
        assertTrue(len.getMessage().contains("2 names but 1 numbers"), len.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> new TinyTable(new String[] {"read", "read"}, new int[] {0, 1}));
        assertTrue(name.getMessage().contains("read = 1") && name.getMessage().contains("entry 1"), name.getMessage());
        IllegalArgumentException nr = assertThrows(IllegalArgumentException.class,
                () -> new TinyTable(new String[] {"read", "write"}, new int[] {0, 0}));
        assertTrue(nr.getMessage().contains("write = 0"), nr.getMessage());
    }

    /** A stub program over toy programs. */
    private static final class TinyStubProgram extends AssembledStubProgram {
        TinyStubProgram(Assembler.Program stub) {
            super("tiny", stub, stub, 0, 0x10000, 0x20000);
        }

        static int offsetOfWord(int index) {
            return argOffset(index);
        }

        @Override
        public boolean cpuidFaulting(String procCpuinfo) {
            return false;
        }
    }

    @Test
    void stubProgramsNeedTheSyscallLabelAndArgumentWordsExist() {
        ByteAssembler a = new ByteAssembler(false);
        Assembler.Program unlabelled = a.db(1).assemble();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TinyStubProgram(unlabelled));
        assertTrue(e.getMessage().contains(AssembledStubProgram.SYSCALL_LABEL), e.getMessage());

        ByteAssembler b = new ByteAssembler(false);
        Assembler.Program labelled = b.db(1).bind(b.label(AssembledStubProgram.SYSCALL_LABEL)).db(2).assemble();
        TinyStubProgram p = new TinyStubProgram(labelled);
        assertEquals(1, p.stub().syscallOffset());
        assertEquals(0x10000, p.stubPlacementStart(4096));
        assertEquals(0, p.stubPlacementStart(1 << 17), "rounded down to the page");

        int last = StubProgram.ARG_WORDS - 1;
        assertEquals(8 * last, TinyStubProgram.offsetOfWord(last));
        assertThrows(IllegalArgumentException.class, () -> TinyStubProgram.offsetOfWord(last + 1));
        assertThrows(IllegalArgumentException.class, () -> TinyStubProgram.offsetOfWord(-1));
    }
}
