package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.spi.RegisterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Stubs created from the JVM, for real: their /proc facts, injected syscalls, teardown. */
@ExtendWith(NoLeftoverProcesses.class)
class StubKernelTest {
    static StubPlatformImpl platform;
    static final long JVM_PID = ProcessHandle.current().pid();

    @BeforeAll
    static void start() {
        platform = TestArch.platform(Settings.defaults());
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    static String status(int pid) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/status"));
    }

    @Test
    void factsDescribeThisHost() throws Exception {
        var f = platform.facts();
        assertEquals(TestArch.ARCH, f.arch());
        assertTrue(f.seccompAfterPtrace(), "Linux 6.x runs seccomp after ptrace (Linux 4.8, commit 93e35efb8de4; gVisor's probeSeccomp)");
        assertEquals("kill_thread", f.defaultAction());
        // the kernel's page size, from an independent source (4, 16 or 64 KiB on arm64: docs/architecture.md, section 10, item 6)
        String smaps = Files.readString(Path.of("/proc/self/smaps"));
        String kps = smaps.lines().filter(l -> l.startsWith("KernelPageSize:")).findFirst().orElseThrow();
        assertEquals(Long.parseLong(kps.replaceAll("[^0-9]", "")) * 1024, f.pageSize(), kps);
        assertEquals(0, f.stubAddress() % f.pageSize());
        assertFalse(f.kernel().isEmpty());
    }

    @Test
    void stubIsLockedDownTracedAndStopped() throws Exception {
        try (Stub stub = platform.createStub()) {
            String st = status(stub.pid());
            assertEquals("2", NoLeftoverProcesses.field(st, "Seccomp"), st);
            assertEquals("1", NoLeftoverProcesses.field(st, "NoNewPrivs"), st);
            assertTrue(NoLeftoverProcesses.field(st, "State").startsWith("t"), "tracing stop: " + st);
            assertEquals(Long.toString(JVM_PID), NoLeftoverProcesses.field(st, "PPid"));
            String tracer = NoLeftoverProcesses.field(st, "TracerPid");
            assertTrue(Files.exists(Path.of("/proc/self/task/" + tracer)), "traced by a thread of this JVM: " + tracer);
            String comm = Files.readString(Path.of("/proc/self/task/" + tracer + "/comm")).trim();
            assertTrue(comm.startsWith("tether-tracer"), "tracer thread name " + comm);
            String maps = Files.readString(Path.of("/proc/" + stub.pid() + "/maps"));
            assertTrue(maps.contains(String.format("%x-", platform.facts().stubAddress())), maps);
        }
    }

    @Test
    void initialRegistersPointAtTheStubSyscall() {
        RegisterLayout layout = TestArch.layout();
        try (Stub stub = platform.createStub()) {
            Registers init = stub.initialRegisters();
            assertEquals(platform.facts().stubAddress() + platform.stubCode().syscallOffset(),
                    init.get(layout.instructionPointerIndex()));
            // the expected parent pid travels in R15 / X7 (gVisor's stubCall, stub_<arch>.s)
            String ppidReg = TestArch.ARCH.equals("amd64") ? "r15" : "x7";
            assertEquals(JVM_PID, init.get(ppidReg));
        }
    }

    @Test
    void injectedSyscallsReturnTheRightValues() {
        try (Stub stub = platform.createStub()) {
            assertEquals(stub.pid(), stub.syscall("getpid"));
            assertEquals(JVM_PID, stub.syscall("getppid"));
            long addr = stub.syscall("mmap", 0, 8192, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            assertTrue(addr > 0 && addr % 4096 == 0, "mmap returned " + Long.toHexString(addr));
            assertEquals(0, stub.syscall("munmap", addr, 8192));
            assertEquals(-Errno.EINVAL, stub.syscall("munmap", 1, 4096), "munmap of a misaligned address");
            // the registers of one injection do not leak into the next (each starts from initRegs)
            assertEquals(stub.pid(), stub.syscall("getpid"));
            assertTrue(stub.alive());
        }
    }

    @Test
    void aMappingMadeByInjectionIsVisibleInProc() throws Exception {
        try (Stub stub = platform.createStub()) {
            long fixed = 0x10000000L;
            long addr = stub.syscall("mmap", fixed, 4096, Mman.PROT_READ, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED, -1, 0);
            assertEquals(fixed, addr);
            assertTrue(Files.readString(Path.of("/proc/" + stub.pid() + "/maps")).contains("10000000-10001000 r--p"));
        }
    }

    @Test
    void aForbiddenSyscallKillsTheStubWithSigsys() throws Exception {
        Stub stub = platform.createStub();
        int pid = stub.pid();
        StubDiedException e = assertThrows(StubDiedException.class, () -> stub.syscall("getuid"));
        assertEquals(Signals.SIGSYS, e.termSignal(), e.getMessage());
        assertTrue(e.getMessage().contains("SIGSYS") && e.getMessage().contains("getuid"), e.getMessage());
        assertFalse(stub.alive());
        assertTrue(stub.death().contains("SIGSYS"));
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the dead stub was reaped");
        assertFalse(platform.stubs().contains(stub));
        stub.close(); // idempotent on a dead stub
        assertThrows(StubDiedException.class, () -> stub.syscall("getpid"));
    }

    @Test
    void closeKillsAndReaps() {
        Stub stub = platform.createStub();
        int pid = stub.pid();
        assertTrue(platform.stubs().contains(stub));
        stub.close();
        assertFalse(Files.exists(Path.of("/proc/" + pid)));
        assertFalse(platform.stubs().contains(stub));
        assertThrows(PlatformClosedException.class, () -> stub.syscall("getpid"));
    }

    @Test
    void stubsAreSpreadOverTracerThreadsAndUsableFromAnyThread() throws Exception {
        List<Stub> stubs = List.of(platform.createStub(), platform.createStub(), platform.createStub());
        try {
            assertNotEquals(NoLeftoverProcesses.field(status(stubs.get(0).pid()), "TracerPid"),
                    NoLeftoverProcesses.field(status(stubs.get(1).pid()), "TracerPid"));
            long[] got = new long[3];
            Thread[] ts = new Thread[3];
            for (int i = 0; i < 3; i++) {
                int k = i;
                ts[i] = new Thread(() -> {
                    for (int n = 0; n < 200; n++) {
                        got[k] = stubs.get(k).syscall("getpid");
                    }
                });
                ts[i].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(stubs.get(i).pid(), got[i]);
            }
        } finally {
            stubs.forEach(Stub::close);
        }
    }

    @Test
    void badArgumentsAreRefused() {
        try (Stub stub = platform.createStub()) {
            assertThrows(IllegalArgumentException.class, () -> stub.syscall("no_such_syscall"));
            assertThrows(IllegalArgumentException.class, () -> stub.syscall(39, 1, 2, 3, 4, 5, 6, 7));
            assertTrue(stub.alive());
        }
    }
}
