package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Signals;
import dev.tether.api.FailureMode;
import dev.tether.api.StubDiedException;
import dev.tether.api.Subprocess;
import dev.tether.api.SyscallFailedException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Subprocesses forked from the master stub, their stub threads and address spaces, for real. */
@ExtendWith(NoLeftoverProcesses.class)
class SubprocessKernelTest {
    static StubPlatformImpl platform;

    @BeforeAll
    static void start() {
        platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    static String status(String path) throws Exception {
        return Files.readString(Path.of(path));
    }

    /** The mappings of a process, without the kernel's [vsyscall] page. */
    static List<String> maps(int pid) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
            if (!l.endsWith("[vsyscall]")) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void aSubprocessIsForkedFromTheMasterAndHoldsOnlyTheStubPage() throws Exception {
        try (Subprocess s = platform.newSubprocess()) {
            int master = platform.master().pid();
            String st = status("/proc/" + s.pid() + "/status");
            assertEquals(Integer.toString(master), NoLeftoverProcesses.field(st, "PPid"), "the master is the parent");
            assertEquals("2", NoLeftoverProcesses.field(st, "Seccomp"), "the master's filter is inherited");
            List<String> m = maps(s.pid());
            assertEquals(1, m.size(), "only the stub page: " + m);
            assertTrue(m.get(0).startsWith(String.format("%x-", platform.facts().stubAddress())), m.toString());
            assertEquals(1, maps(master).size(), "the master is unmapped too: " + maps(master));
            assertEquals(s.pid(), s.syscall("getpid"));
            assertEquals(master, s.syscall("getppid"));
            // this test thread traces its own stub thread in the subprocess
            var mine = s.threads().get(s.threads().size() - 1);
            assertEquals(Thread.currentThread().getName(), mine.tracer());
            String ts = status("/proc/" + s.pid() + "/task/" + mine.tid() + "/status");
            assertEquals(Integer.toString(Sys.gettid()), NoLeftoverProcesses.field(ts, "TracerPid"));
        }
    }

    @Test
    void eightThreadsGetTheirOwnStubThreadsAndInjectConcurrently() throws Exception {
        try (Subprocess s = platform.newSubprocess()) {
            int n = 8;
            CyclicBarrier start = new CyclicBarrier(n);
            java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
            CyclicBarrier finished = new CyclicBarrier(n + 1);
            Set<Integer> tracerTids = ConcurrentHashMap.newKeySet();
            List<Throwable> errors = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int k = 0; k < 300; k++) {
                            assertEquals(s.pid(), s.syscall("getpid"));
                        }
                        tracerTids.add(Sys.gettid());
                    } catch (Throwable e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                    try {
                        // A tracer that exits takes its stub thread (and, by EXITKILL, the whole
                        // subprocess) with it: stay alive until the subprocess is destroyed.
                        finished.await();
                        released.await();
                    } catch (Exception e) {
                        Thread.currentThread().interrupt();
                    }
                }, "subprocess-user-" + i);
                threads.add(t);
                t.start();
            }
            finished.await();
            assertEquals(List.of(), errors);
            assertEquals(n, tracerTids.size());
            var stubThreads = s.threads();
            assertEquals(n + 1, stubThreads.size(), "the first thread plus one per caller: " + stubThreads);
            assertEquals(n + 1, stubThreads.stream().map(x -> x.tid()).distinct().count(), "distinct stub threads: " + stubThreads);
            for (int i = 0; i < n; i++) {
                String name = "subprocess-user-" + i;
                assertEquals(1, stubThreads.stream().filter(x -> x.tracer().equals(name)).count(), name + " traces one: " + stubThreads);
            }
            s.destroy();
            released.countDown();
            for (Thread t : threads) {
                t.join();
            }
            for (var t : stubThreads) {
                assertFalse(Files.exists(Path.of("/proc/" + s.pid() + "/task/" + t.tid())));
            }
        }
    }

    @Test
    void memoryWrittenFromJavaIsReadBackThroughTheSubprocess() {
        try (Subprocess s = platform.newSubprocess()) {
            long addr = s.mapAnonymous(0x20000000L, 1 << 20, Mman.PROT_READ | Mman.PROT_WRITE);
            assertEquals(0x20000000L, addr);
            byte[] pattern = new byte[1 << 20];
            new SplittableRandom(42).nextBytes(pattern);
            s.write(addr, pattern, 0, pattern.length);
            byte[] back = new byte[pattern.length];
            s.read(addr, back, 0, back.length);
            assertArrayEquals(pattern, back);
            s.protect(addr, 4096, Mman.PROT_READ);
            s.unmap(addr, 1 << 20);
            // API callers see the API's SyscallFailedException, never the native layer's LinuxException
            SyscallFailedException read = assertThrows(SyscallFailedException.class, () -> s.read(addr, back, 0, 16),
                    "unmapped memory cannot be read");
            assertEquals(Errno.EFAULT, read.errno(), read.getMessage());
            assertTrue(read.call().startsWith("process_vm_readv(" + s.pid() + ","), read.call());
            assertEquals(read.call() + " failed: EFAULT (" + Errno.EFAULT + ")", read.getMessage());
            SyscallFailedException unmap = assertThrows(SyscallFailedException.class, () -> s.unmap(1, 4096),
                    "misaligned munmap is an error");
            assertEquals("EINVAL", unmap.errnoName(), unmap.getMessage());
        }
    }

    @Test
    void aMemfdOfTheJvmIsMappedInTheSubprocess() {
        int fd = Sys.memfdCreate("tether-test", 0);
        try (NativeMemory buf = NativeMemory.allocate(4096); Subprocess s = platform.newSubprocess()) {
            byte[] text = "bytes the JVM wrote to a memfd".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            buf.write(0, text, 0, text.length);
            assertEquals(4096, Sys.write(fd, buf.address(), 4096));
            long addr = s.mapFile(0x30000000L, 4096, Mman.PROT_READ, fd, 0);
            byte[] back = new byte[text.length];
            s.read(addr, back, 0, back.length);
            assertArrayEquals(text, back);
        } finally {
            Sys.close(fd);
        }
    }

    @Test
    void releasedSubprocessesAreUnmappedAndReused() throws Exception {
        Subprocess s = platform.newSubprocess();
        int pid = s.pid();
        s.mapAnonymous(0x40000000L, 4096, Mman.PROT_READ);
        assertEquals(2, maps(pid).size());
        s.close();
        assertFalse(s.alive() && platform.subprocesses().stream().noneMatch(x -> x.pid() == pid));
        try (Subprocess again = platform.newSubprocess()) {
            assertEquals(pid, again.pid(), "LIFO reuse of the pool");
            assertEquals(1, maps(pid).size(), "released subprocesses are unmapped");
            assertEquals(pid, again.syscall("getpid"));
        }
    }

    @Test
    void aDeadSubprocessIsATypedErrorAndTheOthersGoOn() throws Exception {
        Subprocess doomed = platform.newSubprocess();
        Subprocess other = platform.newSubprocess();
        int pid = doomed.pid();
        StubDiedException e = assertThrows(StubDiedException.class, () -> doomed.syscall("getuid"));
        assertEquals(Signals.SIGSYS, e.termSignal(), e.getMessage());
        assertFalse(doomed.alive());
        assertThrows(StubDiedException.class, () -> doomed.syscall("getpid"));
        assertEquals(other.pid(), other.syscall("getpid"), "another subprocess is unaffected");
        assertTrue(platform.master().alive(), "and so is the master");
        doomed.destroy();
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "destroyed and reaped through the master");
        other.destroy();
        assertFalse(Files.exists(Path.of("/proc/" + other.pid())));
    }

    @Test
    void destroyedSubprocessesLeaveNoZombieUnderTheMaster() throws Exception {
        Set<Integer> pids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Subprocess s = platform.newSubprocess();
            pids.add(s.pid());
            s.destroy();
        }
        for (int pid : pids) {
            assertFalse(Files.exists(Path.of("/proc/" + pid)), "subprocess " + pid + " left behind");
        }
        assertNotEquals(0, platform.master().pid());
    }
}
