package dev.tether.spi.support;

import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import java.util.Objects;

/**
 * A {@link StubProgram} made of two programs from an arch's {@link Assembler}: the stub, which
 * starts at offset 0 and marks the syscall instruction every injection starts at with the label
 * {@value #SYSCALL_LABEL}, and the clone trampoline, which starts at offset 0. The arch passes
 * its address facts to the constructor and implements {@link #cpuidFaulting(String)}.
 *
 * <p>Immutable and thread-safe.
 */
@org.osgi.annotation.versioning.ConsumerType
public abstract class AssembledStubProgram implements StubProgram {
    /** The stub's label on its {@code kill(getpid(), SIGSTOP)} syscall instruction (gVisor's {@code stub_<arch>.s}). */
    public static final String SYSCALL_LABEL = "kill_syscall";

    private final String arch;
    private final MachineCode stub;
    private final MachineCode trampoline;
    private final int rseqSignature;
    private final long stubInitAddress;
    private final long maximumUserAddress;

    /**
     * @param arch Tether's name of the architecture
     * @param stub the assembled stub, with the label {@value #SYSCALL_LABEL}
     * @param trampoline the assembled clone trampoline
     * @param rseqSignature glibc's {@code RSEQ_SIG} on this arch (see {@link #rseqSignature()})
     * @param stubInitAddress the first address to try for the stub, before rounding down to a page
     *     (see {@link #stubPlacementStart(long)})
     * @param maximumUserAddress gVisor's {@code maximumUserAddress} (see {@link #maximumUserAddress()})
     * @throws IllegalArgumentException when the stub has no label {@value #SYSCALL_LABEL}
     */
    protected AssembledStubProgram(String arch, Assembler.Program stub, Assembler.Program trampoline,
            int rseqSignature, long stubInitAddress, long maximumUserAddress) {
        this.arch = Objects.requireNonNull(arch, "arch");
        this.stub = new MachineCode(stub.code(), 0, stub.offsetOf(SYSCALL_LABEL), stub.listing());
        this.trampoline = new MachineCode(trampoline.code(), 0, -1, trampoline.listing());
        this.rseqSignature = rseqSignature;
        this.stubInitAddress = stubInitAddress;
        this.maximumUserAddress = maximumUserAddress;
    }

    @Override
    public final String arch() {
        return arch;
    }

    @Override
    public final MachineCode stub() {
        return stub;
    }

    @Override
    public final MachineCode trampoline() {
        return trampoline;
    }

    @Override
    public final int rseqSignature() {
        return rseqSignature;
    }

    @Override
    public final long maximumUserAddress() {
        return maximumUserAddress;
    }

    /**
     * Byte offset of word {@code index} of the trampoline's argument block (an array of 64-bit
     * words, see {@link StubProgram}), for the trampoline's loads.
     */
    protected static int argOffset(int index) {
        if (index < 0 || index >= ARG_WORDS) {
            throw new IllegalArgumentException("argument word " + index + " is not in 0.." + (ARG_WORDS - 1));
        }
        return 8 * index;
    }

    /**
     * The stub's first address rounded down to a page boundary.
     *
     * @throws IllegalArgumentException when {@code pageSize} is not a positive power of two
     */
    @Override
    public final long stubPlacementStart(long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a positive power of two");
        }
        return stubInitAddress & -pageSize;
    }
}
