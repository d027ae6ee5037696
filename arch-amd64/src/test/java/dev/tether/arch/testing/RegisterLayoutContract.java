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
 * Behaviour every {@link RegisterLayout} must have, checked against the facts of spec §6.2 that
 * each arch's test supplies, plus the NT_PRSTATUS codec of {@link WordRegisterLayout}. Extended by
 * the arch bundles' {@code *RegisterLayoutTest}s (arch-arm64 gets it through arch-amd64's
 * test-jar), so both implementations pass one set of tests.
 *
 * @param <L> the layout under test
 */
public abstract class RegisterLayoutContract<L extends WordRegisterLayout> {
    /**
     * The spec §6.2 table for one arch.
     *
     * @param args names of the syscall argument registers 0..5
     */
    public record Facts(String arch, int words, String syscallNumber, List<String> args, String returnValue,
            String instructionPointer, String stackPointer, int syscallInstructionLength, String ppid,
            String cloneFlag) {
    }

    /** The layout under test. */
    protected final L layout;

    /** What the spec says it must be. */
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

    @RepeatedTest(20)
    void createSyscallRegsSetsNumberAndArgumentsZeroingTheOnesNotGiven(RepetitionInfo rep) {
        long seed = 0x5eedL * rep.getCurrentRepetition();
        SplittableRandom rnd = new SplittableRandom(seed);
        Registers init = random(rnd);
        long[] before = init.words();
        int n = rep.getCurrentRepetition() % 7; // 0..6 arguments
        long[] args = new long[n];
        for (int i = 0; i < n; i++) {
            args[i] = rnd.nextLong();
        }
        long sysno = rnd.nextInt(1000);
        Registers r = layout.createSyscallRegs(init, sysno, args);

        long[] expected = init.words();
        expected[index(facts.syscallNumber())] = sysno;
        for (int i = 0; i < 6; i++) {
            // arguments not given are zero, never the initial registers' values (an injected
            // kill(pid) must not inherit the stub's SIGSTOP in argument 1)
            expected[index(facts.args().get(i))] = i < n ? args[i] : 0;
        }
        assertArrayEquals(expected, r.words(), "seed " + seed + ", " + n + " args");
        assertArrayEquals(before, init.words(), "init must not change (seed " + seed + ")");
        assertEquals(facts.arch(), r.arch());
        assertEquals(layout.names(), r.names());
    }

    @Test
    void createSyscallRegsRejectsSevenArgumentsAndForeignRegisters() {
        Registers init = random(new SplittableRandom(7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> layout.createSyscallRegs(init, 1, 1, 2, 3, 4, 5, 6, 7));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
        Registers foreign = new Registers("other", List.of("a", "b"), new long[2]);
        e = assertThrows(IllegalArgumentException.class, () -> layout.createSyscallRegs(foreign, 1));
        assertTrue(e.getMessage().contains("other"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> layout.initChildProcessPPID(foreign, 1));
        assertThrows(IllegalArgumentException.class, () -> layout.wrap(new long[facts.words() + 1]));
    }

    @Test
    void syscallReturnValueIsTheSignedReturnRegister() {
        int ret = index(facts.returnValue());
        Registers base = random(new SplittableRandom(11));
        for (long v : new long[] {0, 1, 12345, -1, -38 /* -ENOSYS */, -4095, Long.MIN_VALUE, 0x7fffffff0000L}) {
            assertEquals(v, layout.syscallReturnValue(base.with(ret, v)), "return register = " + v);
        }
    }

    @Test
    void initChildProcessPpidSetsPpidAndCloneFlagOnly() {
        Registers regs = random(new SplittableRandom(13));
        Registers r = layout.initChildProcessPPID(regs, 4242);
        long[] expected = regs.words();
        expected[index(facts.ppid())] = 4242;
        expected[index(facts.cloneFlag())] = 1;
        assertArrayEquals(expected, r.words());
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
