package dev.tether.core;

import dev.tether.abi.Mman;
import dev.tether.api.UnsupportedKernelException;
import dev.tether.linux.ExecutableCode;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import java.util.function.LongBinaryOperator;

/**
 * The arch's machine code in the JVM: the stub page, at the same address in the JVM and in every
 * stub cloned from it, and the host-side clone trampoline (docs/architecture.md, section 10, item 4), which only the JVM
 * runs, and the arch's ptrace round trip ({@link RoundTrip}), which only the JVM runs too. Owns
 * these mappings from {@link #map} to {@link #close}, and knows the address space they live in (the
 * page size and this kernel's TASK_SIZE). Immutable once mapped.
 */
final class StubImage implements AutoCloseable {

    final long pageSize;
    /** Where this kernel's user address space ends (TASK_SIZE), at most the arch's maximum. */
    final long taskSize;
    final long stubAddress;
    final long stubLength;
    final long trampolineAddress;
    final long trampolineLength;
    private final MachineCode stub;
    /** The arch's ptrace round trip, read-execute in the JVM ({@link RoundTrip}), or null. */
    final ExecutableCode roundTrip;

    /**
     * The system property that turns the native round trip off: {@code -Dtether.roundTrip=calls}
     * makes the hot paths call ptrace and wait4 one JNA call at a time (the same results, slower;
     * for comparison and as a way out should an arch's round trip code misbehave). Read when a
     * platform starts.
     */
    static final String ROUND_TRIP_PROPERTY = "tether.roundTrip";

    private StubImage(long pageSize, long taskSize, MachineCode stub, long stubAddress, long stubLength,
            long trampolineAddress, long trampolineLength, ExecutableCode roundTrip) {
        this.roundTrip = roundTrip;
        this.pageSize = pageSize;
        this.taskSize = taskSize;
        this.stub = stub;
        this.stubAddress = stubAddress;
        this.stubLength = stubLength;
        this.trampolineAddress = trampolineAddress;
        this.trampolineLength = trampolineLength;
    }

    /**
     * Maps the stub at {@code configuredAddress} (0: the arch's placement) and the trampoline
     * anywhere, both read-execute once filled. On failure nothing is left mapped.
     */
    static StubImage map(StubProgram program, long configuredAddress) {
        long page = Sys.pageSize();
        long taskSize = StubPlacement.probeTaskSize(program.maximumUserAddress(), page);
        MachineCode stub = program.stub();
        long stubLength = roundUp(stub.length(), page);
        MachineCode tramp = program.trampoline();
        long trampLength = roundUp(tramp.length(), page);
        long stubAt = 0;
        try {
            stubAt = configuredAddress != 0
                    ? placeStubAt(program, configuredAddress, stubLength, taskSize, page)
                    : placeStub(program, stubLength, taskSize, page);
            long trampAt = mapCode(tramp.code(), trampLength);
            ExecutableCode roundTrip;
            try {
                roundTrip = "calls".equals(System.getProperty(ROUND_TRIP_PROPERTY)) ? null
                        : program.ptraceRoundTrip().map(c -> ExecutableCode.map(c.code())).orElse(null);
            } catch (RuntimeException e) {
                unmapQuietly(trampAt, trampLength);
                throw e;
            }
            return new StubImage(page, taskSize, stub, stubAt, stubLength, trampAt, trampLength, roundTrip);
        } catch (RuntimeException e) {
            unmapQuietly(stubAt, stubLength);
            throw e;
        }
    }

    /**
     * stubInit (gVisor's stub_unsafe.go): map the stub as high as the address space allows,
     * never over anything the JVM has mapped ({@link StubPlacement}); RX once filled.
     */
    private static long placeStub(StubProgram program, long stubLength, long taskSize, long page) {
        long start = program.stubPlacementStart(page);
        long got = StubPlacement.mapHighest(start, taskSize, stubLength, page);
        if (got < 0) {
            throw new UnsupportedKernelException(String.format("could not map the stub at or below 0x%x"
                    + " (address space ends at 0x%x)", start, taskSize), null);
        }
        Sys.pokeBytes(got, program.stub().code());
        Sys.mprotect(got, stubLength, Mman.PROT_READ | Mman.PROT_EXEC);
        return got;
    }

    /**
     * The stub at the configured address ({@link Settings#stubAddress()}) and nowhere else: a hint
     * mapping (never MAP_FIXED, which would replace whatever the JVM has there) that the kernel must
     * honour exactly; otherwise a clear error and nothing is left mapped.
     */
    private static long placeStubAt(StubProgram program, long at, long stubLength, long taskSize, long page) {
        if (at % page != 0 || at + stubLength > taskSize) {
            throw new IllegalArgumentException(String.format("stub address 0x%x must be page-aligned (page size %d)"
                    + " and leave room for the %d-byte stub below the end of this kernel's %s user address space 0x%x",
                    at, page, stubLength, program.arch(), taskSize));
        }
        long got;
        try {
            got = Sys.mmap(at, stubLength, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        } catch (LinuxException e) {
            throw new UnsupportedKernelException(String.format("could not map the stub at the configured address 0x%x: %s",
                    at, e.getMessage()), e);
        }
        if (got != at) {
            Sys.munmap(got, stubLength);
            throw new IllegalArgumentException(String.format("stub address 0x%x is not free in the JVM (the kernel"
                    + " offered 0x%x instead): configure a free address, or none for the arch's placement", at, got));
        }
        Sys.pokeBytes(got, program.stub().code());
        Sys.mprotect(got, stubLength, Mman.PROT_READ | Mman.PROT_EXEC);
        return got;
    }

    private static long mapCode(byte[] code, long length) {
        long at = Sys.mmap(0, length, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        Sys.pokeBytes(at, code);
        Sys.mprotect(at, length, Mman.PROT_READ | Mman.PROT_EXEC);
        return at;
    }

    private static void unmapQuietly(long at, long length) {
        if (at != 0) {
            try {
                Sys.munmap(at, length);
            } catch (LinuxException e) {
                CoreLog.warn(StubImage.class, "munmap of Tether code failed", e);
            }
        }
    }

    static long roundUp(long v, long page) {
        return (v + page - 1) / page * page;
    }

    /** The stub's machine code, for diagnostics. */
    MachineCode stubCode() {
        return stub;
    }

    /** Where a new stub starts: the stub's entry point. */
    long entryAddress() {
        return stubAddress + stub.entryOffset();
    }

    /** The stub's syscall instruction, where every stub stops after its bootstrap. */
    long syscallAddress() {
        return stubAddress + stub.syscallOffset();
    }

    /**
     * Unmaps everything but the stub page from stub process {@code pid} with the injected munmap
     * {@code munmap} ({@link StubAddressSpace}).
     */
    void unmapAllButStub(int pid, LongBinaryOperator munmap) {
        StubAddressSpace.unmapAllButStub(pid, munmap, stubAddress, stubAddress + stubLength, taskSize);
    }

    /** Unmaps the stub and the trampoline from the JVM (stubs keep their own copy of the stub page). */
    @Override
    public void close() {
        unmapQuietly(stubAddress, stubLength);
        unmapQuietly(trampolineAddress, trampolineLength);
        if (roundTrip != null) {
            roundTrip.close(); // at once, or when the last round trip running in it returns
        }
    }
}
