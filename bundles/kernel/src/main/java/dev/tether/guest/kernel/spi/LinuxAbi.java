package dev.tether.guest.kernel.spi;

import dev.tether.guest.GuestContext;
import dev.tether.guest.kernel.GuestMemory;
import java.nio.ByteBuffer;

/**
 * The Linux user ABI facts of one architecture that differ between architectures, for a guest kernel.
 * Implemented by the arch bundles (an OSGi service with the property {@code tether.arch}); everything
 * the same on every 64-bit Linux lives in the kernel bundle. Implementations are stateless and
 * thread-safe.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface LinuxAbi {

    /** Tether's name of the architecture: {@code amd64} or {@code arm64}. */
    String arch();

    /** The ELF {@code e_machine} of this arch's programs ({@code include/uapi/linux/elf-em.h}). */
    int elfMachine();

    /** {@code utsname.machine}, as {@code uname -m} prints it. */
    String unameMachine();

    /** The alignment of the stack pointer at a program's entry, in bytes. */
    int stackAlignment();

    /** {@code sizeof(struct stat)} of this arch. */
    int statSize();

    /**
     * Writes {@code st} as this arch's {@code struct stat} at {@code out}'s position ({@link #statSize()}
     * bytes; {@code out} is little-endian), advancing it.
     */
    void encodeStat(FileStat st, ByteBuffer out);

    /** {@code O_DIRECTORY}: its value differs between arches ({@code fcntl.h}). */
    int openDirectoryFlag();

    /** {@code O_NOFOLLOW}. */
    int openNoFollowFlag();

    /** {@code O_LARGEFILE}: implied on 64-bit, yet set by some callers; its value differs between arches. */
    int openLargeFileFlag();

    /**
     * Sets the registers a freshly exec'd program starts with: instruction pointer {@code entry}, stack
     * pointer {@code stackPointer}, the other general registers zero (the one that carries the dynamic
     * linker's exit function to {@code _start} included: zero means none), the arch's segment or state
     * registers as the context had them.
     */
    void startRegisters(GuestContext context, long entry, long stackPointer);

    /**
     * {@code arch_prctl(code, addr)} where the arch has it (x86-64: {@code ARCH_SET_FS}/{@code ARCH_GET_FS}
     * set and read the thread pointer): the result value, or {@code -errno}. Arches without the system
     * call never see it (it is not in their syscall table).
     */
    default long archPrctl(GuestContext context, GuestMemory memory, long code, long addr) {
        return -38; // ENOSYS (include/uapi/asm-generic/errno.h)
    }

    /**
     * Emulates the CPUID instruction the guest faulted on ({@link dev.tether.guest.GuestEvent.CpuidFault}):
     * sets its result registers, moves the instruction pointer past it, and returns true. Arches
     * without CPUID faulting return false.
     */
    default boolean emulateCpuid(GuestContext context) {
        return false;
    }

    /**
     * Machine code that makes the system calls {@code write(1, message, length)} and
     * {@code exit_group(0)} with the arch's syscall numbers {@code writeNr} and {@code exitNr}, then
     * loops (it never gets there): the body of {@link dev.tether.guest.kernel.TinyElf}, the smallest
     * guest there is (a program for demos and tests that needs no compiler).
     */
    byte[] helloCode(long message, int length, int writeNr, int exitNr);
}
