package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import dev.tether.spi.support.AssembledStubProgram;
import dev.tether.spi.support.Assembler.Program;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every arch bundle's {@link StubProgram} must have: its machine code is what GNU as
 * makes of the assembled programs, the stub makes the syscalls of gVisor's {@code stub_<arch>.s},
 * the trampoline those of the child of gVisor's {@code attachedThread} (subprocess_linux.go), and
 * the placement rule rejects bad page sizes. Extended by the arch bundles'
 * {@code *StubProgramTest}s, which check the encodings, registers and addresses of their arch.
 */
public abstract class StubProgramContract {
    /**
     * One arch's facts.
     *
     * @param toolchain the GNU binutils that assemble this arch
     * @param table the arch's syscall table, to name syscall numbers
     * @param setSyscallNumber the text of an instruction that loads a syscall number (group 1)
     *     into the syscall-number register
     * @param syscallInstruction the text of the syscall instruction
     * @param trampolineSyscalls the trampoline's syscalls in program order (attachedThread; docs/architecture.md, section 10)
     * @param newerSyscalls names of the syscall numbers the code uses that are newer than the
     *     headers the arch's table is generated from (mseal)
     */
    public record Facts(String arch, GnuBinutils.Toolchain toolchain, SyscallTable table, Pattern setSyscallNumber,
            String syscallInstruction, List<String> trampolineSyscalls, Map<Integer, String> newerSyscalls) {
    }

    /** The service under test. */
    protected final StubProgram program;
    /** Its stub, as the arch's encoder assembled it. */
    protected final Program assembledStub;
    /** Its trampoline, as the arch's encoder assembled it. */
    protected final Program assembledTrampoline;

    private final Facts facts;

    protected StubProgramContract(StubProgram program, Program assembledStub, Program assembledTrampoline,
            Facts facts) {
        this.program = program;
        this.assembledStub = assembledStub;
        this.assembledTrampoline = assembledTrampoline;
        this.facts = facts;
    }

    /** Names of the syscalls of {@code p}, in program order. */
    protected final List<String> syscallSequence(Program p) {
        return ProgramText.syscallSequence(p, facts.table(), facts.newerSyscalls(), facts.setSyscallNumber(),
                facts.syscallInstruction());
    }

    @Test
    void stubMatchesGnuAs() {
        GnuBinutils.assertSameAsGnu(facts.toolchain(), facts.arch() + "-stub", assembledStub);
    }

    @Test
    void trampolineMatchesGnuAs() {
        GnuBinutils.assertSameAsGnu(facts.toolchain(), facts.arch() + "-trampoline", assembledTrampoline);
    }

    @Test
    void machineCodeIsTheAssembledPrograms() {
        assertEquals(facts.arch(), program.arch());
        MachineCode stub = program.stub();
        assertArrayEquals(assembledStub.code(), stub.code());
        assertEquals(assembledStub.listing(), stub.listing());
        assertEquals(0, stub.entryOffset());
        assertEquals(assembledStub.offsetOf(AssembledStubProgram.SYSCALL_LABEL), stub.syscallOffset());
        MachineCode t = program.trampoline();
        assertArrayEquals(assembledTrampoline.code(), t.code());
        assertEquals(assembledTrampoline.listing(), t.listing());
        assertEquals(0, t.entryOffset());
        assertEquals(-1, t.syscallOffset(), "the trampoline has no injection point");
    }

    @Test
    void stubSyscallsAreThoseOfSpec41() {
        assertEquals(List.of("prctl", "getppid", "getpid", "kill", "exit", "exit"), syscallSequence(assembledStub));
    }

    @Test
    void trampolineSyscallsAreThoseOfSpec22() {
        assertEquals(facts.trampolineSyscalls(), syscallSequence(assembledTrampoline));
    }

    @Test
    void placementRejectsPageSizesThatAreNotPowersOfTwo() {
        for (long bad : new long[] {0, -4096, 3000, 12288, Long.MIN_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> program.stubPlacementStart(bad), "page size " + bad);
        }
        assertThrows(NullPointerException.class, () -> program.cpuidFaulting(null));
    }
}
