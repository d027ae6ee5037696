package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.Registers;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.support.WordRegisterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The facts every {@link RegisterLayout} must state, checked against the kernel's register
 * structs as each arch's test supplies them, plus the NT_PRSTATUS codec of
 * {@link WordRegisterLayout}. Extended by
 * the arch bundles' {@code *RegisterLayoutTest}s (arch-arm64 gets it through arch-amd64's
 * test-jar), so both implementations pass one set of tests.
 *
 * @param <L> the layout under test
 */
public abstract class RegisterLayoutContract<L extends WordRegisterLayout> {
    /**
     * The byte offsets of the arch's NT_PRSTATUS register set, from its kernel header.
     *
     * @param args names of the syscall argument registers 0..5
     */
    public record Facts(String arch, int words, String syscallNumber, List<String> args, String returnValue,
            String instructionPointer, String stackPointer, int syscallInstructionLength, String ppid,
            String cloneFlag) {
    }

    /** The layout under test. */
    protected final L layout;

    /** What the kernel's headers say it must be. */
    private final Facts facts;

    protected RegisterLayoutContract(L layout, Facts facts) {
        this.layout = layout;
        this.facts = facts;
    }

    private Registers random(SplittableRandom rnd) {
        long[] w = new long[layout.names().size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextLong();
        }
        return layout.wrap(w);
    }

    private int index(String name) {
        int i = layout.names().indexOf(name);
        assertTrue(i >= 0, "no register " + name + " in " + layout.names());
        return i;
    }

    @Test
    void namesAreTheKernelWordsOnce() {
        List<String> names = layout.names();
        assertEquals(facts.arch(), layout.arch());
        assertEquals(facts.words(), names.size(), "number of NT_PRSTATUS words");
        assertEquals(8 * facts.words(), layout.regsetSize(), "regset size in bytes");
        assertEquals(names.size(), new HashSet<>(names).size(), "duplicate names in " + names);
        assertThrows(UnsupportedOperationException.class, () -> names.set(0, "x"), "names() must be immutable");
    }

    @Test
    void conventionIndicesMatchTheSpec() {
        RegisterLayout l = layout;
        Facts f = facts;
        assertEquals(index(f.syscallNumber()), l.syscallNumberIndex(), "syscall number register");
        assertEquals(index(f.returnValue()), l.returnValueIndex(), "return value register");
        assertEquals(index(f.instructionPointer()), l.instructionPointerIndex(), "instruction pointer");
        assertEquals(index(f.stackPointer()), l.stackPointerIndex(), "stack pointer");
        assertEquals(f.syscallInstructionLength(), l.syscallInstructionLength(), "syscall instruction width");
        assertEquals(6, f.args().size());
        for (int i = 0; i < 6; i++) {
            assertEquals(index(f.args().get(i)), l.argumentIndex(i), "argument register " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> l.argumentIndex(6));
        assertThrows(IllegalArgumentException.class, () -> l.argumentIndex(-1));
    }

    @Test
    void stubWordsAreThoseTheStubReads() {
        // the words gVisor's initChildProcessPPID sets and the stub's bootstrap reads (core's
        // SyscallRegsTest checks what is done with them)
        assertEquals(index(facts.ppid()), layout.stubPpidIndex(), "stub ppid register");
        assertEquals(index(facts.cloneFlag()), layout.stubCloneFlagIndex(), "stub clone flag register");
    }

    @Test
    void wrapRejectsAWrongNumberOfWords() {
        assertThrows(IllegalArgumentException.class, () -> layout.wrap(new long[facts.words() + 1]));
        assertThrows(IllegalArgumentException.class, () -> layout.wrap(new long[facts.words() - 1]));
    }

    @RepeatedTest(10)
    void codecRoundTripsLittleEndianWordsInKernelOrder(RepetitionInfo rep) {
        long seed = 0xc0dec0deL + rep.getCurrentRepetition();
        Registers regs = random(new SplittableRandom(seed));
        int size = layout.regsetSize();
        ByteBuffer buf = ByteBuffer.allocate(size + 16).order(ByteOrder.BIG_ENDIAN); // order must not matter
        buf.position(8);
        layout.encode(regs, buf);
        assertEquals(8 + size, buf.position(), "encode advances by the regset size");
        ByteBuffer le = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < regs.size(); i++) {
            assertEquals(regs.get(i), le.getLong(8 + 8 * i), "word " + i + " (" + regs.names().get(i) + "), seed " + seed);
        }
        buf.position(8);
        Registers back = layout.decode(buf);
        assertEquals(8 + size, buf.position(), "decode advances by the regset size");
        assertArrayEquals(regs.words(), back.words(), "seed " + seed);
        assertEquals(regs.names(), back.names());
    }

    @Test
    void codecRejectsShortBuffersWithoutMoving() {
        ByteBuffer shortBuf = ByteBuffer.allocate(layout.regsetSize() - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.decode(shortBuf));
        assertTrue(e.getMessage().contains(Integer.toString(layout.regsetSize())), e.getMessage());
        assertEquals(0, shortBuf.position());
        Registers regs = random(new SplittableRandom(17));
        assertThrows(IllegalArgumentException.class, () -> layout.encode(regs, shortBuf));
        assertEquals(0, shortBuf.position());
    }

    @Test
    void syscallRegistersAreDistinct() {
        List<Integer> idx = new ArrayList<>();
        idx.add(layout.syscallNumberIndex());
        for (int i = 0; i < 6; i++) {
            idx.add(layout.argumentIndex(i));
        }
        assertEquals(idx.size(), new HashSet<>(idx).size(), "syscall number and arguments share a register: " + idx);
        assertNotEquals(layout.instructionPointerIndex(), layout.stackPointerIndex());
    }
}
