package dev.tether.spi.support;

import dev.tether.api.Registers;
import dev.tether.spi.RegisterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A {@link RegisterLayout} whose NT_PRSTATUS register set is a plain array of 64-bit words in
 * kernel order (amd64 {@code struct user_regs_struct} of arch/x86/include/asm/user_64.h, arm64
 * {@code struct user_pt_regs} of arch/arm64/include/uapi/asm/ptrace.h). This class checks the
 * arch's facts once (names unique, every index a word of the set, six argument registers) and
 * holds the little-endian ByteBuffer codec; a subclass passes only its facts to the constructor.
 * What is done with the facts (gVisor's {@code createSyscallRegs}) is core's.
 *
 * <p>Immutable and thread-safe, as {@link RegisterLayout} requires.
 */
@org.osgi.annotation.versioning.ConsumerType
public abstract class WordRegisterLayout implements RegisterLayout {
    /** Registers that carry syscall arguments: six, args 0..5, on both arches (syscall(2), "Architecture calling conventions"). */
    public static final int SYSCALL_ARGUMENTS = 6;

    private final String arch;
    private final String struct;
    private final List<String> names;
    private final int syscallNumber;
    private final int[] arguments;
    private final int returnValue;
    private final int instructionPointer;
    private final int stackPointer;
    private final int syscallInstructionLength;
    private final int stubPpid;
    private final int stubCloneFlag;

    /**
     * The arch's facts; every index is a word index into {@code names}.
     *
     * @param arch Tether's name of the architecture
     * @param struct the kernel's name of the register struct, for messages
     * @param names the kernel's field names, one per word, in kernel order
     * @param syscallNumber the word carrying the syscall number for injection
     * @param arguments the words carrying syscall arguments 0..5, in order
     * @param returnValue the word carrying the syscall return value
     * @param instructionPointer the instruction pointer's word
     * @param stackPointer the stack pointer's word
     * @param syscallInstructionLength width in bytes of the syscall instruction
     * @param stubPpid the word the stub compares {@code getppid()} with
     * @param stubCloneFlag the word whose value 1 makes the stub re-run its bootstrap in the child
     *     of an injected clone (gVisor's {@code initChildProcessPPID})
     * @throws IllegalArgumentException when the names repeat or an index is out of range
     */
    protected WordRegisterLayout(String arch, String struct, List<String> names, int syscallNumber, int[] arguments,
            int returnValue, int instructionPointer, int stackPointer, int syscallInstructionLength, int stubPpid,
            int stubCloneFlag) {
        this.arch = Objects.requireNonNull(arch, "arch");
        this.struct = Objects.requireNonNull(struct, "struct");
        this.names = List.copyOf(names);
        if (new HashSet<>(this.names).size() != this.names.size()) {
            throw new IllegalArgumentException(arch + " " + struct + ": duplicate register names in " + names);
        }
        if (arguments.length != SYSCALL_ARGUMENTS) {
            throw new IllegalArgumentException(arch + " " + struct + ": " + arguments.length
                    + " syscall argument registers, want " + SYSCALL_ARGUMENTS);
        }
        this.arguments = arguments.clone();
        for (int a : this.arguments) {
            checkIndex("syscall argument", a);
        }
        this.syscallNumber = checkIndex("syscall number", syscallNumber);
        this.returnValue = checkIndex("return value", returnValue);
        this.instructionPointer = checkIndex("instruction pointer", instructionPointer);
        this.stackPointer = checkIndex("stack pointer", stackPointer);
        this.stubPpid = checkIndex("stub ppid", stubPpid);
        this.stubCloneFlag = checkIndex("stub clone flag", stubCloneFlag);
        if (syscallInstructionLength <= 0) {
            throw new IllegalArgumentException(arch + ": syscall instruction length " + syscallInstructionLength);
        }
        this.syscallInstructionLength = syscallInstructionLength;
    }

    private int checkIndex(String what, int index) {
        if (index < 0 || index >= names.size()) {
            throw new IllegalArgumentException(arch + " " + struct + ": " + what + " word " + index
                    + " is not in 0.." + (names.size() - 1));
        }
        return index;
    }

    @Override
    public final String arch() {
        return arch;
    }

    @Override
    public final List<String> names() {
        return names;
    }

    @Override
    public final int syscallNumberIndex() {
        return syscallNumber;
    }

    @Override
    public final int argumentIndex(int i) {
        if (i < 0 || i >= arguments.length) {
            throw new IllegalArgumentException(arch + ": syscall argument " + i + " does not exist (0.."
                    + (arguments.length - 1) + ")");
        }
        return arguments[i];
    }

    @Override
    public final int returnValueIndex() {
        return returnValue;
    }

    @Override
    public final int instructionPointerIndex() {
        return instructionPointer;
    }

    @Override
    public final int stackPointerIndex() {
        return stackPointer;
    }

    @Override
    public final int syscallInstructionLength() {
        return syscallInstructionLength;
    }

    @Override
    public final int stubPpidIndex() {
        return stubPpid;
    }

    @Override
    public final int stubCloneFlagIndex() {
        return stubCloneFlag;
    }

    /**
     * Decodes the NT_PRSTATUS bytes at the buffer's position (little-endian, whatever the buffer's
     * order), advancing it by {@link #regsetSize()}.
     *
     * @throws IllegalArgumentException when fewer than {@link #regsetSize()} bytes remain; the
     *     buffer does not move
     */
    public final Registers decode(ByteBuffer buf) {
        ByteBuffer b = littleEndian(buf);
        long[] w = new long[names.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = b.getLong();
        }
        buf.position(b.position());
        return wrap(w);
    }

    /**
     * Encodes {@code regs} as NT_PRSTATUS bytes at the buffer's position (little-endian), advancing
     * it by {@link #regsetSize()}.
     *
     * @throws IllegalArgumentException when the registers are not of this layout or the buffer is
     *     too small; the buffer does not move
     */
    public final void encode(Registers regs, ByteBuffer buf) {
        check(regs);
        ByteBuffer b = littleEndian(buf);
        for (long v : regs.words()) {
            b.putLong(v);
        }
        buf.position(b.position());
    }

    /** A little-endian view of {@code buf} at its position, checked to hold one register set. */
    private ByteBuffer littleEndian(ByteBuffer buf) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < regsetSize()) {
            throw new IllegalArgumentException(arch + " " + struct + " needs " + regsetSize() + " bytes, "
                    + b.remaining() + " remain at position " + b.position());
        }
        return b;
    }

    /** {@code regs}, when they are of this layout (same arch and names). */
    private Registers check(Registers regs) {
        Objects.requireNonNull(regs, "regs");
        if (!arch.equals(regs.arch()) || !names.equals(regs.names())) {
            throw new IllegalArgumentException("expected " + arch + " " + struct + " registers (" + names.size()
                    + " words), got " + regs.arch() + " registers with " + regs.size() + " words");
        }
        return regs;
    }
}
