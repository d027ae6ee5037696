package dev.tether.spi;

import dev.tether.api.Registers;
import java.util.List;

/**
 * The general-purpose register set of an architecture as PTRACE_GETREGSET/SETREGSET with
 * NT_PRSTATUS transfers it (amd64 {@code struct user_regs_struct} in
 * arch/x86/include/asm/user_64.h, arm64 {@code struct user_pt_regs} in
 * arch/arm64/include/uapi/asm/ptrace.h): an array of 64-bit words in kernel order, native
 * (little-endian) byte order, and where the syscall calling convention (syscall(2), "Architecture
 * calling conventions") and the stub keep their values in it.
 *
 * <p>Pure data: every method answers a fact about the layout. What is done with the facts -
 * gVisor's {@code createSyscallRegs}, {@code syscallReturnValue} and {@code initChildProcessPPID}
 * of {@code subprocess_<arch>.go} - is core's, once for every arch (see the package doc for why).
 *
 * <p>Implementations are immutable and thread-safe; core reads them from its tracer threads.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface RegisterLayout {
    /** Tether's name of the architecture. */
    String arch();

    /** The kernel's field names, one per 64-bit word, in kernel order. */
    List<String> names();

    /**
     * Size in bytes of the NT_PRSTATUS register set (8 x {@code names().size()}): the buffer
     * core hands to PTRACE_GETREGSET/SETREGSET for this layout.
     */
    default int regsetSize() {
        return 8 * names().size();
    }

    /** Index of the word that carries the syscall number for injection (rax / x8). */
    int syscallNumberIndex();

    /**
     * Index of the word carrying syscall argument {@code i} (0..5).
     *
     * @throws IllegalArgumentException when {@code i} is not in 0..5
     */
    int argumentIndex(int i);

    /** Index of the word carrying the syscall return value (rax / x0). */
    int returnValueIndex();

    /** Index of the instruction pointer (rip / pc). */
    int instructionPointerIndex();

    /** Index of the stack pointer (rsp / sp). */
    int stackPointerIndex();

    /** Width in bytes of the syscall instruction ({@code syscall} = 2, {@code svc #0} = 4). */
    int syscallInstructionLength();

    /**
     * Index of the word the stub compares {@code getppid()} with (amd64 r15, arm64 x7): gVisor's
     * {@code initChildProcessPPID} puts the expected parent pid there.
     */
    int stubPpidIndex();

    /**
     * Index of the word whose value 1 makes the stub re-run its bootstrap in the child of an
     * injected clone (amd64 rbx, arm64 x9; gVisor's {@code initChildProcessPPID}).
     */
    int stubCloneFlagIndex();

    /** A register set of this layout from the raw NT_PRSTATUS words. */
    default Registers wrap(long[] words) {
        return new Registers(arch(), names(), words);
    }
}
