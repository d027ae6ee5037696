package dev.tether.spi;

import dev.tether.api.Registers;
import java.util.List;

/**
 * The general-purpose register set of an architecture as PTRACE_GETREGSET/SETREGSET with
 * NT_PRSTATUS transfers it (amd64 {@code struct user_regs_struct}, arm64
 * {@code struct user_pt_regs}): an array of 64-bit words in kernel order, native (little-endian)
 * byte order, and the syscall calling convention on top of it.
 *
 * <p>Implementations are stateless and thread-safe; core calls them from its tracer threads.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface RegisterLayout {
    /** Tether's name of the architecture. */
    String arch();

    /** The kernel's field names, one per 64-bit word, in kernel order. */
    List<String> names();

    /** Size in bytes of the NT_PRSTATUS register set (8 x {@code names().size()}). */
    default int regsetSize() {
        return 8 * names().size();
    }

    /** Index of the word that carries the syscall number for injection (rax / x8). */
    int syscallNumberIndex();

    /** Index of the word carrying syscall argument {@code i} (0..5). */
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
     * gVisor's {@code createSyscallRegs}: a copy of {@code init} with the syscall number and the
     * given arguments (at most six) set; the other words keep the values of {@code init}.
     */
    Registers createSyscallRegs(Registers init, long sysno, long... args);

    /**
     * gVisor's {@code syscallReturnValue}: the raw return value, negative errno on failure.
     */
    default long syscallReturnValue(Registers regs) {
        return regs.get(returnValueIndex());
    }

    /**
     * gVisor's {@code initChildProcessPPID}: makes an injected clone in the stub re-run the stub's
     * bootstrap in the child, which checks that its parent is {@code ppid} (amd64: r15 = ppid,
     * rbx = 1; arm64: x7 = ppid, x9 = 1).
     */
    Registers initChildProcessPPID(Registers regs, long ppid);

    /** A register set of this layout from the raw NT_PRSTATUS words. */
    default Registers wrap(long[] words) {
        return new Registers(arch(), names(), words);
    }
}
