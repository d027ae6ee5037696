package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.abi.Mman;
import dev.tether.guest.GuestEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** strace-style lines, with paths and buffers read from guest memory and flags decoded. */
class SyscallTracerTest {
    @TempDir
    Path tmp;

    /** Runs the call through MiniLinux and formats it, as GuestRunner does. */
    private static String traced(KernelFixture k, String name, long... args) {
        long[] six = new long[6];
        System.arraycopy(args, 0, six, 0, args.length);
        GuestEvent.Syscall call = new GuestEvent.Syscall(KernelFixture.nr(name), six);
        SyscallResult r = k.kernel.handle(k.task, call);
        return new SyscallTracer(KernelFixture.TABLE, k.abi).format(k.task, call, r);
    }

    @Test
    void openReadWriteCloseLookLikeStrace() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("d"));
        Files.writeString(root.resolve("f"), "line one\nline two\n");
        KernelFixture k = new KernelFixture(List.of(root));
        long path = k.string(root + "/f");
        assertEquals("openat(AT_FDCWD, \"" + root + "/f\", O_RDONLY|O_CLOEXEC) = 3",
                traced(k, "openat", Linux.AT_FDCWD, path, Linux.O_RDONLY | Linux.O_CLOEXEC));
        long buf = k.buffer(64);
        assertEquals("read(3, \"line one\\nline two\\n\", 64) = 18", traced(k, "read", 3, buf, 64));
        long big = k.buffer(64);
        k.memory.write(big, new byte[40], 0, 40);
        assertEquals("write(1, \"\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\"..., 40) = 40",
                traced(k, "write", 1, big, 40));
        assertEquals("close(3) = 0", traced(k, "close", 3));
        assertEquals("close(3) = -1 EBADF", traced(k, "close", 3));
        assertEquals("openat(AT_FDCWD, \"/no/pe\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 ENOENT",
                traced(k, "openat", Linux.AT_FDCWD, k.string("/no/pe"), Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC, 0644));
        assertEquals("openat(AT_FDCWD, \"" + root + "\", O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_CLOEXEC) = 3",
                traced(k, "openat", Linux.AT_FDCWD, k.string(root.toString()),
                        Linux.O_NONBLOCK | k.abi.openDirectoryFlag() | Linux.O_CLOEXEC));
        assertEquals("newfstatat(3, \"\", 0x" + Long.toHexString(buf) + ", AT_EMPTY_PATH) = 0",
                traced(k, "newfstatat", 3, k.string(""), buf, Linux.AT_EMPTY_PATH));
    }

    @Test
    void memoryAndProcessCalls() {
        KernelFixture k = new KernelFixture(List.of());
        k.process.mm.setBrk(0x4c7000, 0x500000);
        assertEquals("brk(NULL) = 0x4c7000", traced(k, "brk", 0));
        String mmap = traced(k, "mmap", 0, 8192, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        assertEquals("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x",
                mmap.substring(0, mmap.indexOf("= 0x") + 4));
        assertEquals("mprotect(0x10000, 4096, PROT_NONE) = -1 ENOMEM", traced(k, "mprotect", 0x10000, 4096, 0));
        long rl = k.buffer(16);
        assertEquals("prlimit64(0, RLIMIT_STACK, NULL, 0x" + Long.toHexString(rl) + ") = 0",
                traced(k, "prlimit64", 0, Linux.RLIMIT_STACK, 0, rl));
        assertEquals("rt_sigprocmask(SIG_SETMASK, NULL, NULL, 8) = 0", traced(k, "rt_sigprocmask", 2, 0, 0, 8));
        assertEquals("rt_sigaction(SIGINT, NULL, NULL, 8) = 0", traced(k, "rt_sigaction", 2, 0, 0, 8));
        assertEquals("clock_gettime(CLOCK_BOGUS?, NULL) = -1 EINVAL".replace("CLOCK_BOGUS?", "42"),
                traced(k, "clock_gettime", 42, 0));
        assertEquals("futex(0x" + Long.toHexString(rl) + ", FUTEX_WAKE_PRIVATE, 1) = 0",
                traced(k, "futex", rl, Linux.FUTEX_WAKE | Linux.FUTEX_PRIVATE_FLAG, 1));
        assertEquals("ioctl(1, TCGETS, 0x" + Long.toHexString(rl) + ") = -1 ENOTTY", traced(k, "ioctl", 1, Linux.TCGETS, rl));
        assertEquals("getpid() = 1", traced(k, "getpid"));
        assertEquals("exit_group(3) = ?\n+++ exited with 3 +++", traced(k, "exit_group", 3));
    }

    @Test
    void unknownCallsShowRawArguments() {
        KernelFixture k = new KernelFixture(List.of());
        assertEquals("socket(0x2, 0x1, 0x0, 0x0, 0x0, 0x0) = -1 ENOSYS", traced(k, "socket", 2, 1, 0));
        GuestEvent.Syscall call = new GuestEvent.Syscall(99999, new long[] {1, 2, 3, 4, 5, 6});
        assertEquals("syscall_1869f(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS",
                new SyscallTracer(KernelFixture.TABLE, k.abi).format(k.task, call, k.kernel.handle(k.task, call)));
    }

    @Test
    void aBadPathPointerIsShownAsAnAddress() {
        KernelFixture k = new KernelFixture(List.of());
        assertEquals("openat(AT_FDCWD, 0x20, O_RDONLY) = -1 EFAULT", traced(k, "openat", Linux.AT_FDCWD, 0x20, 0));
    }
}
