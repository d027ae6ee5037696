package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.linux.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stub placement: the gap search on made-up layouts, the task-size probe on this kernel. */
class StubPlacementTest {
    private static final long PAGE = 4096;

    @Test
    void onA39BitAddressSpaceTheStubGoesBelowTheStackInOneStep() {
        // arm64, 4 KiB pages, 3 levels: user space ends at 2^39; the stack sits at its top
        long taskSize = 1L << 39;
        long stackEnd = taskSize; // its top, as when randomisation puts it last
        List<long[]> maps = List.of(
                new long[] {0x400000, 0x500000},
                new long[] {0x7f0000_0000L, 0x7f1000_0000L},
                new long[] {stackEnd - 0x21000, stackEnd});
        long start = 0xffff_ffff_0000L; // the 48-bit arch start: far above this kernel's space
        long at = StubPlacement.highestGap(maps, Math.min(start, taskSize - PAGE), PAGE, PAGE);
        assertEquals(stackEnd - 0x21000 - PAGE, at, "right below the stack, found without a page walk");
    }

    @Test
    void theGapSkipsEveryOverlappingRangeAndAlignsDown() {
        List<long[]> maps = List.of(
                new long[] {0x10000, 0x20000},
                new long[] {0x8000, 0x10000}, // adjacent below: no gap between them
                new long[] {0x5000, 0x6800}); // ends mid-page
        // top 0x1f000: overlaps [0x10000,0x20000), then [0x8000,0x10000); free [0x6800,0x8000) fits one page at 0x7000
        assertEquals(0x7000, StubPlacement.highestGap(maps, 0x1f000, PAGE, PAGE));
        // two pages do not fit in 0x6800..0x8000: below 0x5000
        assertEquals(0x3000, StubPlacement.highestGap(maps, 0x1f000, 2 * PAGE, PAGE));
        // nothing in the way: the top itself, page-aligned down
        assertEquals(0x40000, StubPlacement.highestGap(maps, 0x40fff, PAGE, PAGE));
        // no room at all above page 0
        assertEquals(-1, StubPlacement.highestGap(List.<long[]>of(new long[] {0, 0x10000}), 0xf000, PAGE, PAGE));
    }

    @Test
    void theProbedTaskSizeMatchesTheCpusVirtualAddressBits() throws Exception {
        long page = Sys.pageSize();
        long limit = TestArch.program().maximumUserAddress();
        long taskSize = StubPlacement.probeTaskSize(limit, page);
        assertTrue(taskSize <= limit && taskSize % page == 0, Long.toHexString(taskSize));
        // the kernel's own view: the highest mapping of this JVM (its stack) ends below it, and
        // the stack's top is within the randomisation range of the end of user space
        long highest = StubPlacement.jvmMappings().stream().mapToLong(r -> r[1]).max().orElseThrow();
        assertTrue(highest <= taskSize, "a mapping ends at " + Long.toHexString(highest));
        if (TestArch.ARCH.equals("amd64")) {
            // 4-level paging: user space ends one page below 2^47 (arch/x86 TASK_SIZE_MAX)
            String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
            assertTrue(cpuinfo.contains("48 bits virtual") || cpuinfo.contains("57 bits virtual"), "cpuinfo address sizes");
            assertEquals((1L << 47) - page, taskSize);
        }
    }
}
