package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tether.spi.MachineCode;
import dev.tether.spi.TrapRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The handler's machine code run on {@link A64Machine} (its words decoded by their Arm ARM encodings, not
 * by our encoder's texts) against a region, with a scripted kernel and Java side: the protocol of
 * docs/trap.md, section 4, path by path.
 */
class Arm64TrapHandlerRunTest {
    static final long REGION = 0x7f12_3456_0000L;        // SIZE-aligned, as the region is mapped
    static final long CODE = 0x7f12_3460_0000L;
    static final long SIGSYS = 31;
    static final long NR_FUTEX = 98;
    static final long NR_RT_SIGRETURN = 139;

    private final MachineCode handler = new Arm64TrapArch().handler();
    private final ByteBuffer region = ByteBuffer.allocate(TrapRegion.SIZE);
    private final List<String> calls = new ArrayList<>();

    /** A machine entered as the kernel enters the handler: x0..x2 the arguments, x30 the restorer, sp on the alternate stack. */
    private A64Machine entered(long javaSleeping, long spin) {
        A64Machine m = new A64Machine(CODE, handler.code(), REGION, region);
        m.store(REGION + TrapRegion.STATE, TrapRegion.RESUME); // the previous event's answer
        m.store(REGION + TrapRegion.JAVA_SLEEPING, javaSleeping);
        m.store(REGION + TrapRegion.SPIN, spin);
        m.store(REGION + TrapRegion.EVENTS, 41);
        m.sp = REGION + 0xe3c0;                              // somewhere inside the stack, not aligned to anything large
        m.x[0] = SIGSYS;
        m.x[1] = REGION + 0xe400;
        m.x[2] = REGION + 0xe480;
        m.x[30] = CODE + handler.syscallOffset();
        for (int i = 3; i < 30; i++) {
            m.x[i] = 0xbad0_0000L + i;                       // the guest's registers: garbage to the handler
        }
        m.pc = CODE + handler.entryOffset();
        return m;
    }

    private static String futex(A64Machine m, long[] a) {
        String op = a[1] == 1 ? "WAKE" : a[1] == 0 ? "WAIT" : "op" + a[1];
        return String.format("futex(%s,%s,%d,%d,%d,%d)", a[0] == REGION ? "&STATE" : Long.toHexString(a[0]), op, a[2], a[3], a[4], a[5]);
    }

    /** Java answers after {@code yieldsBeforeAnswer} yields, or (if negative) when the handler sleeps. */
    private A64Machine.Hooks java(int yieldsBeforeAnswer, int spuriousWakes) {
        return new A64Machine.Hooks() {
            int yields;
            int wakes = spuriousWakes;

            @Override
            public long svc(A64Machine m, long nr, long[] a) {
                assertEquals(NR_FUTEX, nr, "the handler's only call besides rt_sigreturn");
                calls.add(futex(m, a) + (a[1] == 0 ? " sleeping=" + m.load(REGION + TrapRegion.GUEST_SLEEPING) : ""));
                if (a[1] == 0 && m.load(REGION + TrapRegion.STATE) != a[2]) {
                    return -11; // EAGAIN: the word changed before the wait (futex(2))
                }
                if (a[1] == 0 && wakes-- <= 0) {
                    m.store(REGION + TrapRegion.STATE, TrapRegion.RESUME); // Java's answer ends the wait
                }
                return 0;
            }

            @Override
            public void yielded(A64Machine m) {
                calls.add("yield");
                if (++yields == yieldsBeforeAnswer) {
                    m.store(REGION + TrapRegion.STATE, TrapRegion.RESUME);
                }
            }
        };
    }

    private void returnsThroughTheRestorer(A64Machine m) {
        assertEquals(CODE + handler.syscallOffset() + 4, m.pc, "stopped at the restorer's svc");
        assertEquals(SIGSYS, m.load(REGION + TrapRegion.SIGNO));
        assertEquals(REGION + 0xe400, m.load(REGION + TrapRegion.SIGINFO));
        assertEquals(REGION + 0xe480, m.load(REGION + TrapRegion.UCONTEXT));
        assertEquals(42, m.load(REGION + TrapRegion.EVENTS));
        assertEquals(0, m.load(REGION + TrapRegion.GUEST_SLEEPING));
        assertEquals(REGION + 0xe3c0, m.sp, "sp untouched: rt_sigreturn finds the frame there");
    }

    @Test
    void javaAsleepIsWokenAndAnAnswerWithinTheSpinIsTaken() {
        A64Machine m = entered(1, 5);
        m.runUntilSvc(NR_RT_SIGRETURN, java(2, 0), 1000);
        assertEquals(List.of("futex(&STATE,WAKE,1,0,0,0)", "yield", "yield"), calls);
        returnsThroughTheRestorer(m);
    }

    @Test
    void javaAwakeIsNotWokenAndTheHandlerSleepsAfterItsSpin() {
        A64Machine m = entered(0, 3);
        m.runUntilSvc(NR_RT_SIGRETURN, java(-1, 0), 1000);
        assertEquals(List.of("yield", "yield", "yield", "futex(&STATE,WAIT,1,0,0,0) sleeping=1"), calls);
        returnsThroughTheRestorer(m);
    }

    @Test
    void aSpuriousWakeSleepsAgainWithoutSpinning() {
        A64Machine m = entered(0, 1);
        m.runUntilSvc(NR_RT_SIGRETURN, java(-1, 2), 1000);
        assertEquals(List.of("yield", "futex(&STATE,WAIT,1,0,0,0) sleeping=1", "futex(&STATE,WAIT,1,0,0,0) sleeping=1",
                "futex(&STATE,WAIT,1,0,0,0) sleeping=1"), calls);
        returnsThroughTheRestorer(m);
    }

    @Test
    void anAnswerBetweenSleepingAndItsRecheckIsNotSleptThrough() {
        A64Machine m = entered(0, 0);
        A64Machine.Hooks base = java(-1, 0);
        // Java answers right as the handler announces it sleeps (the Dekker pair): the re-check sees it
        m.runUntilSvc(NR_RT_SIGRETURN, new A64Machine.Hooks() {
            @Override
            public long svc(A64Machine mm, long nr, long[] a) {
                return base.svc(mm, nr, a);
            }

            @Override
            public void stored(A64Machine mm, long address, long value) {
                if (address == REGION + TrapRegion.GUEST_SLEEPING && value == 1) {
                    mm.store(REGION + TrapRegion.STATE, TrapRegion.RESUME);
                }
            }
        }, 1000);
        assertEquals(List.of(), calls, "no futex wait, no yield");
        returnsThroughTheRestorer(m);
    }

    /** The guest's TPIDR_EL0 is reported at TLS on entry; Java's SET_TLS loads TLS into it before the return, once. */
    @Test
    void theThreadPointerIsReportedAndLoadedOnlyWhenJavaSetsIt() {
        A64Machine m = entered(0, 5);
        m.tpidrEl0 = 0x4000_1000L;
        List<Long> seen = new ArrayList<>();
        m.runUntilSvc(NR_RT_SIGRETURN, answeredAtTheFirstYield(mm -> {
            seen.add(mm.load(REGION + TrapRegion.TLS));
            mm.store(REGION + TrapRegion.STATE, TrapRegion.RESUME); // Java answers without touching SET_TLS
        }), 1000);
        assertEquals(List.of(0x4000_1000L), seen, "the handler stored the guest's TPIDR_EL0 before publishing");
        assertEquals(0x4000_1000L, m.tpidrEl0, "no SET_TLS: the guest's own value stays");
        returnsThroughTheRestorer(m);

        A64Machine n = entered(0, 5);
        n.tpidrEl0 = 0x4000_1000L;
        n.runUntilSvc(NR_RT_SIGRETURN, answeredAtTheFirstYield(mm -> {
            mm.store(REGION + TrapRegion.TLS, 0x5000_2000L);
            mm.store(REGION + TrapRegion.SET_TLS, 1);
            mm.store(REGION + TrapRegion.STATE, TrapRegion.RESUME);
        }), 1000);
        assertEquals(0x5000_2000L, n.tpidrEl0, "SET_TLS: Java's value is loaded");
        assertEquals(0, n.load(REGION + TrapRegion.SET_TLS), "and the request cleared");
    }

    /** Java answers while the handler spins ({@code java} at each yield); the handler makes no call before rt_sigreturn. */
    private static A64Machine.Hooks answeredAtTheFirstYield(java.util.function.Consumer<A64Machine> java) {
        return new A64Machine.Hooks() {
            @Override
            public long svc(A64Machine mm, long nr, long[] a) {
                throw new AssertionError("no call expected");
            }

            @Override
            public void yielded(A64Machine mm) {
                java.accept(mm);
            }
        };
    }

    @Test
    void withoutAnAnswerItNeverReturns() {
        A64Machine m = entered(0, 2);
        A64Machine.Hooks never = new A64Machine.Hooks() {
            @Override
            public long svc(A64Machine mm, long nr, long[] a) {
                calls.add(futex(mm, a));
                return 0; // woken, but STATE stays EVENT
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.runUntilSvc(NR_RT_SIGRETURN, never, 500));
        assertEquals(TrapRegion.EVENT, m.load(REGION + TrapRegion.STATE), e.getMessage());
        assertEquals(true, calls.size() > 10 && calls.stream().allMatch("futex(&STATE,WAIT,1,0,0,0)"::equals), calls.toString());
    }

    @Test
    void theMachinesBitmaskDecoderAgreesWithTheEncoderOnEveryImmediate() {
        // A64Machine.decodeBitMasks is the Arm ARM's pseudocode; the encoder is its inverse
        for (long v : A64TrapInstructionsTest.allBitmaskImmediates()) {
            int f = A64LogicalImmediate.encode(v);
            assertEquals(v, A64Machine.decodeBitMasks(f >>> 12, (f >>> 6) & 0x3f, f & 0x3f), Long.toHexString(v));
        }
    }
}
