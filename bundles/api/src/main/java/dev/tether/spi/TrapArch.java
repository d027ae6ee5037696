package dev.tether.spi;

import dev.tether.guest.FaultAccess;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.SyscallRule;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * What the trap guest platform needs of an architecture (docs/trap.md): the SIGSYS handler's machine
 * code and where the kernel's signal frame keeps the registers. Data and encodings only, like the
 * other arch services; registered with {@link TetherArch}.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface TrapArch {

    String arch();

    /**
     * The code page: the handler at {@link MachineCode#entryOffset()} (a {@code SA_SIGINFO} handler
     * that follows docs/trap.md, section 4, over a {@link TrapRegion}), and the restorer (the
     * {@code sa_restorer}, an {@code rt_sigreturn}) at {@link MachineCode#syscallOffset()}.
     */
    MachineCode handler();

    /**
     * For each word of the arch's general register layout ({@link RegisterLayout}, the
     * {@code NT_PRSTATUS} words), its byte offset in the signal frame's {@code ucontext_t}, or -1
     * where the frame does not hold it (it then stays as the thread has it).
     */
    int[] frameOffsets();

    /** The byte offset in {@code ucontext_t} of the pointer to the FP/vector state in the frame. */
    int fpStatePointerOffset();

    /** The length of the FP/vector state the frame holds at {@code offset} of {@code region}. */
    int fpStateLength(ByteBuffer region, int offset);

    /** The access that caused fault {@code signo}, from what the frame at {@code ucontext} says. */
    FaultAccess faultAccess(ByteBuffer region, int ucontext, int signo);

    /**
     * The arch's own calls of the handler that the guest thread's filter must allow when made from
     * {@code ip} (amd64: {@code arch_prctl(ARCH_SET_FS)}), beside {@code futex} and {@code rt_sigreturn}.
     */
    List<SyscallRule> handlerRules(Matcher ip);

    /** Whether the handler loads {@link TrapRegion#TLS} when {@link TrapRegion#SET_TLS} is set (else the frame holds the thread pointer). */
    boolean tlsByHandler();
}
