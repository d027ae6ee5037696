package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.Registers;
import dev.tether.arch.amd64.Amd64RegisterLayout;
import dev.tether.arch.arm64.Arm64RegisterLayout;
import dev.tether.spi.RegisterLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Core's createSyscallRegs, syscallReturnValue and initChildProcessPPID (gVisor's
 * {@code subprocess_amd64.go} / {@code subprocess_arm64.go}) over both arch bundles' layouts, with
 * the registers named by the kernel's structs (arch/x86/include/asm/user_64.h,
 * arch/arm64/include/uapi/asm/ptrace.h) and the syscall convention of syscall(2).
 */
class SyscallRegsTest {
    /** One arch's convention by register name: number, arguments 0..5, return, stub ppid and clone flag. */
    record Convention(RegisterLayout layout, String number, List<String> args, String ret, String ppid, String cloneFlag) {
        @Override
        public String toString() {
            return layout.arch();
        }
    }

    static Stream<Convention> conventions() {
        return Stream.of(
                new Convention(new Amd64RegisterLayout(), "rax", List.of("rdi", "rsi", "rdx", "r10", "r8", "r9"), "rax",
                        "r15", "rbx"),
                new Convention(new Arm64RegisterLayout(), "x8", List.of("x0", "x1", "x2", "x3", "x4", "x5"), "x0",
                        "x7", "x9"));
    }

    private static int index(RegisterLayout l, String name) {
        int i = l.names().indexOf(name);
        assertTrue(i >= 0, "no register " + name + " in " + l.names());
        return i;
    }

    private static long[] random(SplittableRandom rnd, int n) {
        long[] w = new long[n];
        for (int i = 0; i < n; i++) {
            w[i] = rnd.nextLong();
        }
        return w;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conventions")
    void createSetsNumberAndArgumentsZeroingTheOnesNotGiven(Convention c) {
        SyscallRegs regs = new SyscallRegs(c.layout());
        for (int rep = 0; rep < 50; rep++) {
            long seed = 0x5eedL * (rep + 1);
            SplittableRandom rnd = new SplittableRandom(seed);
            Registers init = c.layout().wrap(random(rnd, regs.words()));
            long[] before = init.words();
            int n = rep % 7; // 0..6 arguments
            long[] args = random(rnd, n);
            long sysno = rnd.nextInt(1000);
            Registers r = regs.create(init, sysno, args);

            long[] expected = init.words();
            expected[index(c.layout(), c.number())] = sysno;
            for (int i = 0; i < 6; i++) {
                // arguments not given are zero, never the initial registers' values (an injected
                // kill(pid) must not inherit the stub's SIGSTOP in argument 1)
                expected[index(c.layout(), c.args().get(i))] = i < n ? args[i] : 0;
            }
            assertArrayEquals(expected, r.words(), "seed " + seed + ", " + n + " args");
            assertArrayEquals(before, init.words(), "init must not change (seed " + seed + ")");
            assertEquals(c.layout().names(), r.names());

            // the hot path's fill into a reused array gives the same words
            long[] out = random(rnd, regs.words());
            regs.fill(init.words(), out, sysno, args);
            assertArrayEquals(expected, out, "fill, seed " + seed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conventions")
    void initChildProcessPpidSetsPpidAndCloneFlagOnly(Convention c) {
        SyscallRegs regs = new SyscallRegs(c.layout());
        long[] w = random(new SplittableRandom(13), regs.words());
        long[] expected = w.clone();
        expected[index(c.layout(), c.ppid())] = 4242;
        expected[index(c.layout(), c.cloneFlag())] = 1;
        regs.initChildProcessPPID(w, 4242);
        assertArrayEquals(expected, w);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conventions")
    void returnValueIsTheSignedReturnRegister(Convention c) {
        SyscallRegs regs = new SyscallRegs(c.layout());
        int ret = index(c.layout(), c.ret());
        assertEquals(8L * ret, regs.returnValueOffset(), "byte offset in the NT_PRSTATUS buffer");
        Registers base = c.layout().wrap(random(new SplittableRandom(11), regs.words()));
        for (long v : new long[] {0, 1, 12345, -1, -38 /* -ENOSYS */, -4095, Long.MIN_VALUE, 0x7fffffff0000L}) {
            assertEquals(v, regs.returnValue(base.with(ret, v)), "return register = " + v);
            assertEquals(v, regs.returnValue(base.with(ret, v).words()), "return word = " + v);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conventions")
    void sevenArgumentsAndForeignRegistersAreRefused(Convention c) {
        SyscallRegs regs = new SyscallRegs(c.layout());
        Registers init = c.layout().wrap(new long[regs.words()]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> regs.create(init, 1, 1, 2, 3, 4, 5, 6, 7));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
        Registers foreign = new Registers("other", List.of("a", "b"), new long[2]);
        e = assertThrows(IllegalArgumentException.class, () -> regs.create(foreign, 1));
        assertTrue(e.getMessage().contains("other") && e.getMessage().contains(c.layout().arch()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> regs.returnValue(foreign));
    }

    @Test
    void amd64MmapLooksLikeTheStubsKill() {
        // initRegs as observed at the stub's stop: rax=0, orig_rax=62 (kill), r15=ppid
        RegisterLayout l = new Amd64RegisterLayout();
        long[] w = new long[27];
        w[index(l, "orig_rax")] = 62;
        w[index(l, "r15")] = 4000;
        w[index(l, "rip")] = 0x7fffffff0058L;
        // mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): 9 on x86-64
        // (arch/x86/entry/syscalls/syscall_64.tbl)
        Registers r = new SyscallRegs(l).create(l.wrap(w), 9, 0, 4096, 3, 0x22, -1, 0);
        assertEquals(9, r.get("rax"));
        assertEquals(4096, r.get("rsi"));
        assertEquals(3, r.get("rdx"));
        assertEquals(0x22, r.get("r10"));
        assertEquals(-1, r.get("r8"));
        assertEquals(0x7fffffff0058L, r.get("rip"));
        assertEquals(4000, r.get("r15"));
        assertEquals(62, r.get("orig_rax"), "orig_rax is not touched; the kernel takes rax on resume");
    }

    @Test
    void arm64MmapLooksLikeTheStubsKill() {
        RegisterLayout l = new Arm64RegisterLayout();
        long[] w = new long[34];
        w[index(l, "x8")] = 129; // kill, as at the stub's stop
        w[index(l, "x7")] = 4000;
        w[index(l, "pc")] = 0xffffffff0044L;
        // mmap is 222 on arm64 (include/uapi/asm-generic/unistd.h)
        Registers r = new SyscallRegs(l).create(l.wrap(w), 222, 0, 4096, 3, 0x22, -1, 0);
        assertEquals(222, r.get("x8"));
        assertEquals(4096, r.get("x1"));
        assertEquals(0x22, r.get("x3"));
        assertEquals(-1, r.get("x4"));
        assertEquals(0xffffffff0044L, r.get("pc"));
        assertEquals(4000, r.get("x7"));
    }
}
