package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Capability;
import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Wait;
import dev.tether.api.FailureMode;
import dev.tether.api.Stub;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.seccomp.Action;
import dev.tether.spi.StubProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stubs hold no capability: the trampoline's capset (and bounding-set drop) runs in every stub
 * made from the JVM, and every stub forked from the master inherits the master's empty sets. A
 * failing capability step ends the child before it could run as a stub.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StubCapabilitiesKernelTest {
    static StubPlatformImpl platform;
    /** Whether this JVM may empty its stubs' bounding sets (CAP_SETPCAP; root on CI). */
    static boolean dropsBoundingSet;

    @BeforeAll
    static void start() throws Exception {
        platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        dropsBoundingSet = StubLockdown.boundingSetDropCount(Files.readString(Path.of("/proc/thread-self/status")),
                StubLockdown.readSysctl(Path.of("/proc/sys/kernel/cap_last_cap"))) > 0;
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** Asserts that the thread or process whose status file is {@code path} holds no capability. */
    static void assertNoCapabilities(String what, String path) throws Exception {
        String st = Files.readString(Path.of(path));
        for (String set : new String[] {"CapEff", "CapPrm", "CapInh", "CapAmb"}) {
            assertEquals("0000000000000000", NoLeftoverProcesses.field(st, set), what + " " + set + ":\n" + st);
        }
        if (dropsBoundingSet) {
            assertEquals("0000000000000000", NoLeftoverProcesses.field(st, "CapBnd"), what + " CapBnd:\n" + st);
        }
        assertEquals("1", NoLeftoverProcesses.field(st, "NoNewPrivs"), what);
        assertEquals("2", NoLeftoverProcesses.field(st, "Seccomp"), what);
    }

    @Test
    void capLastCapIsReadWhole() throws Exception {
        // Integer sysctls end at a read with a non-zero offset: "40" must not come back as "4".
        String last = StubLockdown.readSysctl(Path.of("/proc/sys/kernel/cap_last_cap")).trim();
        assertTrue(Integer.parseInt(last) >= Capability.CAP_SETPCAP, last);
        String bnd = NoLeftoverProcesses.field(Files.readString(Path.of("/proc/self/status")), "CapBnd");
        assertTrue(Long.parseUnsignedLong(bnd, 16) < 2L << Integer.parseInt(last), "CapBnd " + bnd + ", last cap " + last);
    }

    @Test
    void theJvmKeepsItsOwnCapabilities() throws Exception {
        // The drop happens in the child only; the tracer threads keep what ptrace needs.
        String self = Files.readString(Path.of("/proc/thread-self/status"));
        try (Stub stub = platform.createStub()) {
            assertEquals(self.lines().filter(l -> l.startsWith("Cap")).toList(),
                    Files.readString(Path.of("/proc/thread-self/status")).lines().filter(l -> l.startsWith("Cap")).toList());
            assertTrue(stub.alive());
        }
    }

    @Test
    void aHostStubHasNoCapabilities() throws Exception {
        try (Stub stub = platform.createStub()) {
            assertNoCapabilities("createStub", "/proc/" + stub.pid() + "/status");
            // and still does what stubs do: injected syscalls, memory the JVM reads back
            assertEquals(stub.pid(), stub.syscall("getpid"));
            long addr = stub.syscall("mmap", 0, 4096, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            assertTrue(addr > 0, Long.toHexString(addr));
            assertEquals(0, stub.syscall("munmap", addr, 4096));
        }
    }

    @Test
    void anAttachedThreadHasNoCapabilities() throws Exception {
        try (Stub stub = platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD)) {
            assertNoCapabilities("attachedThread", "/proc/" + stub.pid() + "/status");
            assertEquals(stub.pid(), stub.syscall("getpid"));
        }
    }

    @Test
    void theMasterAndForkedSubprocessesAndTheirThreadsHaveNoCapabilities() throws Exception {
        try (Subprocess a = platform.newSubprocess(); Subprocess b = platform.forkSubprocess()) {
            assertNoCapabilities("master", "/proc/" + platform.master().pid() + "/status");
            for (Subprocess s : new Subprocess[] {a, b}) {
                assertEquals(s.pid(), s.syscall("getpid")); // makes this thread's stub thread
                for (StubThreadInfo t : s.threads()) {
                    assertNoCapabilities("subprocess " + s.pid() + " thread " + t.tid(),
                            "/proc/" + s.pid() + "/task/" + t.tid() + "/status");
                }
                // the JVM (full capabilities) reads and writes a stub that has none
                long addr = s.mapAnonymous(0, 4096, Mman.PROT_READ | Mman.PROT_WRITE);
                s.write(addr, new byte[] {1, 2, 3}, 0, 3);
                byte[] back = new byte[3];
                s.read(addr, back, 0, 3);
                assertEquals(3, back[2]);
                s.unmap(addr, 4096);
            }
        }
    }

    /**
     * The one thing a stub could do with the JVM's capabilities and cannot now: map below
     * vm.mmap_min_addr, which needs CAP_SYS_RAWIO (security/min_addr.c); EPERM, like any process
     * without it.
     */
    @Test
    void noMappingBelowMmapMinAddr() throws Exception {
        long min = Long.parseLong(StubLockdown.readSysctl(Path.of("/proc/sys/vm/mmap_min_addr")).trim());
        long page = platform.facts().pageSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(min >= page, "vm.mmap_min_addr is " + min);
        try (Subprocess s = platform.newSubprocess()) {
            long below = (min - 1) / page * page;
            assertEquals(-Errno.EPERM, s.syscall("mmap", below, page, Mman.PROT_READ,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED, -1, 0));
            assertEquals(s.pid(), s.syscall("getpid"));
        }
    }

    /**
     * The trampoline alone, with a capset header the kernel refuses (version 0: EINVAL): the child
     * exits with status EINVAL before it reaches NO_NEW_PRIVS, the filter or the stub, so no stub
     * ever runs with the JVM's capabilities.
     */
    @Test
    void aFailingCapsetEndsTheChild() {
        assertEquals(Errno.EINVAL, runTrampoline(0, 0), "exit status");
        // a bounding-set drop past the kernel's last capability fails (EINVAL) the same way
        if (dropsBoundingSet) {
            assertEquals(Errno.EINVAL, runTrampoline(Capability.LINUX_CAPABILITY_VERSION_3, 64), "exit status");
        }
    }

    /**
     * Runs the arch's trampoline from a fresh mapping of its code, with no filter and exit signal 0,
     * and returns the exit status of its child, which must exit before it jumps anywhere.
     */
    private static int runTrampoline(int capsetVersion, int capbsetCount) {
        StubProgram program = TestArch.program();
        byte[] code = program.trampoline().code();
        long page = Sys.pageSize();
        long length = (code.length + page - 1) / page * page;
        long at = Sys.mmap(0, length, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        try (NativeMemory args = NativeMemory.allocate(8L * StubProgram.ARG_WORDS)) {
            Sys.pokeBytes(at, code);
            Sys.mprotect(at, length, Mman.PROT_READ | Mman.PROT_EXEC);
            args.putLong(8L * StubProgram.ARG_CLONE_FLAGS, Clone.CLONE_FILES); // exit signal 0
            args.putLong(8L * StubProgram.ARG_STUB_ENTRY, 0); // a SIGSEGV if it ever got there
            args.putLong(8L * StubProgram.ARG_PPID, Sys.getpid());
            args.putLong(8L * StubProgram.ARG_FULL_SIGSET, -1L);
            args.putLong(8L * StubProgram.ARG_CAPBSET_COUNT, capbsetCount);
            args.putInt(8L * StubProgram.ARG_CAP_HEADER, capsetVersion);
            long pid = Sys.callFunction(at, args.address());
            assertTrue(pid > 0, "clone returned " + pid);
            int status = Sys.wait4((int) pid, Wait.__WALL);
            assertTrue(Wait.exited(status), "the child exits (" + Wait.describe(status) + ")");
            return Wait.exitStatus(status);
        } finally {
            Sys.munmap(at, length);
        }
    }
}
