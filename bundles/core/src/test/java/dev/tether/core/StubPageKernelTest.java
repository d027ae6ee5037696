package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.api.FailureMode;
import dev.tether.api.Stub;
import dev.tether.api.Subprocess;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The stub page stays what it is: Subprocess's map/unmap/protect refuse any range over it (on
 * every kernel), and where the kernel can seal it (mseal, Linux 6.10+) raw injected syscalls
 * cannot change it either.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StubPageKernelTest {
    /** mseal(2)'s number on both x86-64 and aarch64 (Linux 6.10+). */
    static final int SYS_MSEAL = 462;
    static final int RWX = Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC;

    static StubPlatformImpl platform;
    static long stub;
    static long stubLength;
    static long page;
    /** Whether this kernel can seal mappings; then every stub's page must be sealed. */
    static boolean kernelSeals;

    @BeforeAll
    static void start() {
        platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        stub = platform.facts().stubAddress();
        stubLength = platform.facts().stubLength();
        page = platform.facts().pageSize();
        try {
            kernelSeals = Sys.syscall(SYS_MSEAL, 0, 0, 0) == 0; // an empty range: 0 where mseal exists
        } catch (LinuxException e) {
            assertEquals(Errno.ENOSYS, e.errno(), e.getMessage());
            kernelSeals = false;
        }
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** The /proc/pid/maps line of the stub page. */
    static String stubMapping(int pid) throws Exception {
        String prefix = String.format("%x-%x ", stub, stub + stubLength);
        return Files.readAllLines(Path.of("/proc/" + pid + "/maps")).stream().filter(l -> l.startsWith(prefix))
                .findFirst().orElseThrow(() -> new AssertionError("no stub page " + prefix + "in " + pid));
    }

    /** The VmFlags of the stub page in /proc/pid/smaps. */
    static List<String> stubFlags(int pid) throws Exception {
        List<String> smaps = Files.readAllLines(Path.of("/proc/" + pid + "/smaps"));
        String prefix = String.format("%x-", stub);
        for (int i = smaps.indexOf(smaps.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()); i < smaps.size(); i++) {
            if (smaps.get(i).startsWith("VmFlags:")) {
                return List.of(smaps.get(i).substring("VmFlags:".length()).trim().split("\\s+"));
            }
        }
        throw new AssertionError("no VmFlags for the stub page of " + pid);
    }

    static void assertRefused(String what, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, what);
        String range = String.format("[0x%x, 0x%x)", stub, stub + stubLength);
        assertTrue(e.getMessage().contains("stub page " + range), what + ": " + e.getMessage());
    }

    @Test
    void mapUnmapAndProtectRefuseEveryRangeOverTheStubPageAndChangeNothing() throws Exception {
        int memfd = Sys.memfdCreate("tether-stub-page-test", 0);
        try (Subprocess s = platform.newSubprocess()) {
            String before = stubMapping(s.pid());
            long[][] ranges = {
                {stub, stubLength},                 // the page itself
                {stub, 1},                          // one byte of it (the kernel rounds up to the page)
                {stub - page, page + 1},            // from the page below, one byte into it
                {stub - page, stubLength + 2 * page}, // across it
                {stub + stubLength - page, 2 * page}, // from its last page upwards
                {0x10000, stub + stubLength},       // from low memory over it
                {page, -2 * page},                  // a range that wraps around the top
            };
            for (long[] r : ranges) {
                String what = String.format("[0x%x, +0x%x)", r[0], r[1]);
                assertRefused("protect " + what, () -> s.protect(r[0], r[1], RWX));
                assertRefused("unmap " + what, () -> s.unmap(r[0], r[1]));
                assertRefused("mapAnonymous " + what, () -> s.mapAnonymous(r[0], r[1], RWX));
                assertRefused("mapFile " + what, () -> s.mapFile(r[0], r[1], RWX, memfd, 0));
            }
            assertEquals(before, stubMapping(s.pid()), "the stub page is unchanged");
            assertEquals(s.pid(), s.syscall("getpid"), "the subprocess still works");
            // Next to the stub page is fine: map, protect and unmap the page just below it.
            long below = stub - page;
            assertEquals(below, s.mapAnonymous(below, page, Mman.PROT_READ | Mman.PROT_WRITE));
            s.protect(below, page, Mman.PROT_READ);
            s.unmap(below, page);
            // without an address the kernel chooses, and never over an existing mapping
            long anywhere = s.mapAnonymous(0, page, Mman.PROT_READ);
            assertTrue(anywhere != stub, Long.toHexString(anywhere));
            s.unmap(anywhere, page);
            assertEquals(before, stubMapping(s.pid()));
        } finally {
            Sys.close(memfd);
        }
    }

    @Test
    void everyStubPageIsSealedWhereTheKernelCan() throws Exception {
        try (Subprocess s = platform.newSubprocess(); Stub host = platform.createStub()) {
            for (int pid : new int[] {platform.master().pid(), s.pid(), host.pid()}) {
                assertEquals(kernelSeals, stubFlags(pid).contains("sl"), "stub page of " + pid + " sealed: " + stubFlags(pid));
            }
        }
    }

    /**
     * Raw injections go past the Java checks, to the filter and the kernel. The master's filter
     * allows mprotect (for Subprocess.protect) and every stub's allows mmap and munmap (gVisor's
     * rules), and none can say "not over the stub page" (they compare arguments, they cannot add
     * address and length), so seccomp lets these through and nothing is killed; the seal makes the
     * kernel answer EPERM, and the subprocess goes on. Without mseal (Linux before 6.10) they would
     * succeed: that residual is the Java API's to prevent.
     */
    @Test
    void rawInjectionsOverTheStubPageGetEpermFromTheSealAndTheSubprocessGoesOn() throws Exception {
        try (Subprocess s = platform.newSubprocess()) {
            String before = stubMapping(s.pid());
            if (!kernelSeals) {
                // The residual: an unchanged protection goes through where nothing seals the page.
                assertEquals(0, s.syscall("mprotect", stub, stubLength, Mman.PROT_READ | Mman.PROT_EXEC));
                return;
            }
            int anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
            assertEquals(-Errno.EPERM, s.syscall("mprotect", stub, stubLength, RWX));
            assertEquals(-Errno.EPERM, s.syscall("mprotect", stub, stubLength, Mman.PROT_NONE));
            assertEquals(-Errno.EPERM, s.syscall("munmap", stub, stubLength));
            assertEquals(-Errno.EPERM, s.syscall("mmap", stub, stubLength, RWX, anon | Mman.MAP_FIXED, -1, 0));
            // from a mapping below, across the stub page
            long below = stub - page;
            assertEquals(below, s.mapAnonymous(below, page, Mman.PROT_READ));
            assertEquals(-Errno.EPERM, s.syscall("mprotect", below, page + stubLength, RWX));
            assertEquals(-Errno.EPERM, s.syscall("munmap", below, page + stubLength));
            assertEquals(before, stubMapping(s.pid()), "the stub page is unchanged");
            assertTrue(s.alive());
            assertEquals(s.pid(), s.syscall("getpid"), "the subprocess still works");
            s.unmap(below, page);
        }
        // Host stubs too (their filter has no mprotect rule: only munmap and mmap can be tried).
        try (Stub host = platform.createStub()) {
            assertEquals(-Errno.EPERM, host.syscall("munmap", stub, stubLength));
            assertEquals(host.pid(), host.syscall("getpid"));
        }
    }
}
