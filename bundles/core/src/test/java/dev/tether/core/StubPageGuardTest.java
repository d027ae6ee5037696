package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The stub-page overlap test, exactly, by table and against a brute-force page count. */
class StubPageGuardTest {
    static final long PAGE = 4096;
    static final long STUB = 0x7fffffff0000L;

    @ParameterizedTest(name = "[{0}, +{1}) -> {2}")
    @CsvSource({
        // the stub page itself, and any part of it
        "0x7fffffff0000, 4096, true", "0x7fffffff0000, 1, true", "0x7fffffff0800, 16, true",
        // ranges that end at the stub or start at its end are next to it, not over it
        "0x7ffffffef000, 4096, false", "0x7fffffff1000, 4096, false", "0, 0x7fffffff0000, false",
        // a length the kernel rounds up into the stub page
        "0x7ffffffef000, 4097, true", "0x7ffffffee000, 8193, true",
        // straddling from below, covering it, from 0 to the top
        "0x7ffffffef000, 8192, true", "0x10000, 0x7ffffffff0000, true", "0, 0x7ffffffff000, true",
        // zero length touches nothing; wrapping ranges reach the top of the address space
        "0x7fffffff0000, 0, false", "0x1000, 0xfffffffffffff000, true", "0x1000, 0xffffffffffffffff, true",
        // above the stub, even when it wraps
        "0x7fffffff2000, 0xffffffffffffffff, false", "0xffffffffff600000, 4096, false",
    })
    void table(String address, String length, boolean overlaps) {
        assertEquals(overlaps, StubPageGuard.overlaps(unsigned(address), unsigned(length), PAGE, STUB, PAGE));
    }

    private static long unsigned(String s) {
        return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseUnsignedLong(s);
    }

    @Test
    void randomRangesNearTheStubAgreeWithCountingPages() {
        SplittableRandom rnd = new SplittableRandom(20240611);
        long stubLength = 2 * PAGE;
        for (int i = 0; i < 200_000; i++) {
            long address = STUB + (rnd.nextLong(-8, 8) * PAGE) + (rnd.nextBoolean() ? 0 : rnd.nextLong(PAGE));
            long length = rnd.nextLong(0, 12 * PAGE);
            boolean expected = false;
            long pages = (length + PAGE - 1) / PAGE;
            for (long p = 0; p < pages; p++) {
                long lo = address + p * PAGE;
                expected |= lo < STUB + stubLength && lo + PAGE > STUB;
            }
            assertEquals(expected, StubPageGuard.overlaps(address, length, PAGE, STUB, stubLength),
                    String.format("[0x%x, +%d)", address, length));
        }
    }
}
