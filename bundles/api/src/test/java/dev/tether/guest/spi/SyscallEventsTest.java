package dev.tether.guest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tether.guest.GuestEvent;
import org.junit.jupiter.api.Test;

class SyscallEventsTest {
    @Test
    void aNumberBelowTheBoundGetsTheSameEventEachTime() {
        SyscallEvents events = new SyscallEvents();
        GuestEvent.Syscall e = events.of(39);
        assertEquals(39, e.number());
        assertEquals(6, e.args().length);
        assertSame(e, events.of(39), "reused: a round trip allocates nothing");
        assertNotSame(e, events.of(40), "one per number");
        assertNotSame(e, new SyscallEvents().of(39), "one cache per context");
    }

    @Test
    void aNumberOutsideTheCacheGetsANewEventEachTime() {
        SyscallEvents events = new SyscallEvents();
        for (long nr : new long[] {-1, SyscallEvents.CACHED, 0x40000000L + 39}) {
            GuestEvent.Syscall e = events.of(nr);
            assertEquals(nr, e.number());
            assertNotSame(e, events.of(nr), "number " + nr);
        }
        assertSame(events.of(SyscallEvents.CACHED - 1), events.of(SyscallEvents.CACHED - 1), "the last cached number");
    }
}
