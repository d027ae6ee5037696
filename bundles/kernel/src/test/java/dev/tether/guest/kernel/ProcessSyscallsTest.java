package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Identity, time, randomness, limits, signals (recorded), futex, refusals and the unknown count. */
class ProcessSyscallsTest {
    final KernelFixture k = new KernelFixture(List.of());

    private static byte[] le(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    @Test
    void identityIsTheGuestsOwn() {
        assertEquals(1, k.call("getpid"));
        assertEquals(1, k.call("gettid"));
        assertEquals(0, k.call("getppid"));
        assertEquals(1000, k.call("getuid"));
        assertEquals(1001, k.call("geteuid"));
        assertEquals(2000, k.call("getgid"));
        assertEquals(2001, k.call("getegid"));
        assertEquals(1, k.call("set_tid_address", 0x1234));
        assertEquals(0x1234, k.process.clearChildTid);
        assertEquals(0, k.call("set_robust_list", 0x5000, 24));
        assertEquals(-Linux.EINVAL, k.call("set_robust_list", 0x5000, 23));
        assertEquals(-Linux.ENOSYS, k.call("rseq", 0x6000, 32, 0, 0));
    }

    @Test
    void savedIdsAndGroupsAreTheGuestsOwn() {
        long ids = k.buffer(12);
        assertEquals(0, k.call("getresuid", ids, ids + 4, ids + 8));
        assertArrayEquals(ints(1000, 1001, 1001), k.peek(ids, 12), "real, effective, saved (= effective) uid");
        assertEquals(0, k.call("getresgid", ids, ids + 4, ids + 8));
        assertArrayEquals(ints(2000, 2001, 2001), k.peek(ids, 12));
        assertEquals(1, k.call("getgroups", 0, 0), "size 0: the count only");
        long groups = k.buffer(8);
        assertEquals(1, k.call("getgroups", 2, groups));
        assertArrayEquals(ints(2001), k.peek(groups, 4), "the effective gid alone, never the host's groups");
        assertEquals(-Linux.EINVAL, k.call("getgroups", -1, groups));
    }

    private static byte[] ints(int... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            b.putInt(x);
        }
        return b.array();
    }

    @Test
    void prctlKeepsTheTaskName() {
        long buf = k.buffer(16);
        assertEquals(0, k.call("prctl", 15, k.string("a-much-too-long-name")));
        assertEquals(0, k.call("prctl", 16, buf));
        assertEquals("a-much-too-long\0", k.text(buf, 16), "TASK_COMM_LEN - 1 bytes and a NUL");
        assertEquals(-Linux.EINVAL, k.call("prctl", 38, 1), "other options (here PR_SET_NO_NEW_PRIVS)");
    }

    @Test
    void unameHasSixNulPaddedFields() {
        long buf = k.buffer(65 * 6);
        assertEquals(0, k.call("uname", buf));
        byte[] b = k.peek(buf, 65 * 6);
        String[] f = new String[6];
        for (int i = 0; i < 6; i++) {
            int end = i * 65;
            while (b[end] != 0) {
                end++;
            }
            f[i] = new String(b, i * 65, end - i * 65);
        }
        assertEquals("Linux", f[0]);
        assertEquals("tether", f[1]);
        assertEquals(System.getProperty("os.version"), f[2]);
        assertEquals(k.abi.unameMachine(), f[4]);
    }

    @Test
    void timeAndRandomness() throws Exception {
        long ts = k.buffer(16);
        assertEquals(0, k.call("clock_gettime", Linux.CLOCK_MONOTONIC, ts));
        long t1 = k.le(ts, 16).getLong() * 1_000_000_000L + k.le(ts, 16).getLong(8);
        Thread.sleep(5);
        assertEquals(0, k.call("clock_gettime", Linux.CLOCK_MONOTONIC, ts));
        long t2 = k.le(ts, 16).getLong() * 1_000_000_000L + k.le(ts, 16).getLong(8);
        assertTrue(t2 - t1 >= 5_000_000, "monotonic advanced " + (t2 - t1));
        assertEquals(0, k.call("clock_gettime", Linux.CLOCK_REALTIME, ts));
        long now = System.currentTimeMillis() / 1000;
        assertTrue(Math.abs(k.le(ts, 8).getLong() - now) <= 2);
        assertEquals(-Linux.EINVAL, k.call("clock_gettime", 99, ts));
        long tv = k.buffer(16);
        assertEquals(0, k.call("gettimeofday", tv, 0));
        assertTrue(k.le(tv, 16).getLong(8) < 1_000_000, "microseconds");
        long secs = k.call("time", 0);
        assertTrue(Math.abs(secs - now) <= 2);
        long r = k.buffer(64);
        assertEquals(64, k.call("getrandom", r, 64, 0));
        assertNotEquals(0, k.le(r, 64).getLong() | k.le(r, 64).getLong(8));
        assertEquals(-Linux.EINVAL, k.call("getrandom", r, 8, 0x80));
        assertEquals(-Linux.EFAULT, k.call("getrandom", 0x10, 8, 0));
    }

    @Test
    void limitsReadAndLower() {
        long old = k.buffer(16);
        assertEquals(0, k.call("prlimit64", 0, Linux.RLIMIT_STACK, 0, old));
        assertEquals(8L << 20, k.le(old, 16).getLong());
        assertEquals(-1L, k.le(old, 16).getLong(8), "RLIM_INFINITY");
        long lim = k.bytes(le(1 << 20, 2 << 20));
        assertEquals(0, k.call("prlimit64", 0, Linux.RLIMIT_STACK, lim, old));
        assertEquals(0, k.call("getrlimit", Linux.RLIMIT_STACK, old));
        assertEquals(1 << 20, k.le(old, 8).getLong());
        assertEquals(-Linux.EPERM, k.call("prlimit64", 0, Linux.RLIMIT_STACK, k.bytes(le(1, 4 << 20)), 0), "hard up");
        assertEquals(-Linux.EINVAL, k.call("prlimit64", 0, Linux.RLIMIT_STACK, k.bytes(le(3, 2)), 0), "soft > hard");
        assertEquals(-Linux.ESRCH, k.call("prlimit64", 77, Linux.RLIMIT_STACK, 0, old));
        assertEquals(-Linux.EINVAL, k.call("prlimit64", 0, 99, 0, old));
    }

    @Test
    void signalDispositionsAndMaskAreRecorded() {
        long act = k.bytes(le(0x401000, 0x04000000, 0x402000, 1L << 1));
        long old = k.buffer(32);
        assertEquals(0, k.call("rt_sigaction", 2, act, 0, 8));
        assertEquals(0, k.call("rt_sigaction", 2, 0, old, 8));
        assertArrayEquals(k.peek(act, 32), k.peek(old, 32));
        assertEquals(-Linux.EINVAL, k.call("rt_sigaction", 9, act, 0, 8), "SIGKILL");
        assertEquals(-Linux.EINVAL, k.call("rt_sigaction", 2, act, 0, 16), "sigsetsize");
        long set = k.bytes(le((1L << 9) | (1L << 1))); // SIGUSR1 (10), SIGINT (2)
        assertEquals(0, k.call("rt_sigprocmask", Linux.SIG_BLOCK, set, 0, 8));
        assertEquals(0, k.call("rt_sigprocmask", Linux.SIG_UNBLOCK, k.bytes(le(1L << 1)), old, 8));
        assertEquals((1L << 9) | (1L << 1), k.le(old, 8).getLong(), "the mask before");
        assertEquals(1L << 9, k.process.sigmask);
        assertEquals(0, k.call("rt_sigprocmask", Linux.SIG_SETMASK, k.bytes(le(-1L)), 0, 8));
        assertEquals(0, k.process.sigmask & ((1L << 8) | (1L << 18)), "SIGKILL and SIGSTOP never blocked");
        assertEquals(-Linux.EINVAL, k.call("rt_sigprocmask", 7, set, 0, 8));
    }

    @Test
    void futexForOneThread() {
        long word = k.bytes(le(5));
        assertEquals(0, k.call("futex", word, Linux.FUTEX_WAKE | Linux.FUTEX_PRIVATE_FLAG, 1));
        assertEquals(-Linux.EAGAIN, k.call("futex", word, Linux.FUTEX_WAIT, 4, 0));
        assertEquals(-Linux.ETIMEDOUT, k.call("futex", word, Linux.FUTEX_WAIT, 5, k.bytes(le(0, 1000))));
        assertEquals(new SyscallResult.Exit(137), k.result("futex", word, Linux.FUTEX_WAIT, 5, 0));
        assertEquals(-Linux.EFAULT, k.call("futex", 0x10, Linux.FUTEX_WAKE, 1));
    }

    @Test
    void moreTasksAndNewProgramsAreRefused() {
        assertEquals(-Linux.EAGAIN, k.call("clone", 0x3d0f00, 0, 0, 0, 0));
        assertEquals(-Linux.ENOSYS, k.call("execve", k.string("/bin/sh"), 0, 0));
        if (KernelFixture.TABLE.number("fork").isPresent()) {
            assertEquals(-Linux.EAGAIN, k.call("fork"));
        }
        if (KernelFixture.TABLE.number("clone3").isPresent()) {
            assertEquals(-Linux.ENOSYS, k.call("clone3", 0, 0));
        }
    }

    @Test
    void exitAndUnknownSyscalls() {
        assertEquals(new SyscallResult.Exit(3), k.result("exit_group", 3));
        assertEquals(new SyscallResult.Exit(0xff), k.result("exit", -1));
        assertEquals(-Linux.ENOSYS, k.call("socket", 2, 1, 0));
        assertEquals(-Linux.ENOSYS, k.call("socket", 2, 1, 0));
        assertEquals(-Linux.ENOSYS, k.call("pipe2", 0, 0));
        assertEquals(Map.of("socket", 2, "pipe2", 1), k.process.unknownSyscalls());
        long huge = 100_000;
        SyscallResult r = k.kernel.handle(k.task, new dev.tether.guest.GuestEvent.Syscall(huge, new long[6]));
        assertEquals(new SyscallResult.Value(-Linux.ENOSYS), r);
        assertEquals(1, k.process.unknownSyscalls().get("syscall_100000"));
    }

    @Test
    void dispatchIsResolvedFromTheArchTable() {
        assertTrue(k.kernel.implemented().containsAll(List.of("read", "write", "openat", "mmap", "brk", "exit_group",
                "newfstatat", "getdents64", "rt_sigaction", "futex", "prlimit64", "statx")));
        assertTrue(MiniLinux.handledNames().containsAll(k.kernel.implemented()));
        assertEquals("openat", k.kernel.syscallName(KernelFixture.nr("openat")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MiniLinux(KernelFixture.TABLE, new dev.tether.guest.kernel.testing.SimpleAbi("sparc")));
        assertTrue(e.getMessage().contains("sparc"));
    }

    @Test
    void resultsReportBadErrnos() {
        assertThrows(IllegalArgumentException.class, () -> SyscallResult.errno(0));
        assertThrows(IllegalArgumentException.class, () -> SyscallResult.errno(4096));
        assertEquals(SyscallResult.value(-2), SyscallResult.errno(2));
        assertEquals(new SyscallResult.Value(1L << 40), SyscallResult.value(1L << 40));
    }
}
