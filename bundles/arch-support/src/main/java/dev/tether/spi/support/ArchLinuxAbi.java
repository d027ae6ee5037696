package dev.tether.spi.support;

import dev.tether.api.Registers;
import dev.tether.guest.GuestContext;
import dev.tether.guest.kernel.spi.LinuxAbi;
import java.util.List;

/**
 * The part of a {@link LinuxAbi} that is the same on every arch but for its values: the ELF and
 * uname machine names, the stack alignment at a program's entry, the size of {@code struct stat},
 * the open flags that differ between arches, and how a new program's registers are set (some
 * zeroed, the instruction and stack pointers set, the thread pointer zero). An arch bundle states
 * its values and writes what really differs: the {@code struct stat} layout, {@code arch_prctl},
 * CPUID, its machine code.
 */
public abstract class ArchLinuxAbi implements LinuxAbi {
    private final String arch;
    private final int elfMachine;
    private final String unameMachine;
    private final int stackAlignment;
    private final int statSize;
    private final int openDirectory;
    private final int openNoFollow;
    private final int openLargeFile;
    private final String instructionPointer;
    private final String stackPointer;
    private final List<String> zeroedAtStart;

    /**
     * @param arch the arch's name, as its other services give it
     * @param elfMachine {@code e_machine} of its ELF executables (include/uapi/linux/elf-em.h)
     * @param unameMachine {@code uname -m}
     * @param stackAlignment the stack pointer's alignment at a program's entry (its psABI)
     * @param statSize {@code sizeof(struct stat)}
     * @param openDirectory {@code O_DIRECTORY}
     * @param openNoFollow {@code O_NOFOLLOW}
     * @param openLargeFile {@code O_LARGEFILE}
     * @param instructionPointer the name of the instruction pointer in the arch's register layout
     * @param stackPointer the name of the stack pointer there
     * @param zeroedAtStart the registers a new program starts with zero (the others keep the stub's)
     */
    protected ArchLinuxAbi(String arch, int elfMachine, String unameMachine, int stackAlignment, int statSize,
            int openDirectory, int openNoFollow, int openLargeFile, String instructionPointer, String stackPointer,
            List<String> zeroedAtStart) {
        this.arch = arch;
        this.elfMachine = elfMachine;
        this.unameMachine = unameMachine;
        this.stackAlignment = stackAlignment;
        this.statSize = statSize;
        this.openDirectory = openDirectory;
        this.openNoFollow = openNoFollow;
        this.openLargeFile = openLargeFile;
        this.instructionPointer = instructionPointer;
        this.stackPointer = stackPointer;
        this.zeroedAtStart = List.copyOf(zeroedAtStart);
    }

    @Override
    public final String arch() {
        return arch;
    }

    @Override
    public final int elfMachine() {
        return elfMachine;
    }

    @Override
    public final String unameMachine() {
        return unameMachine;
    }

    @Override
    public final int stackAlignment() {
        return stackAlignment;
    }

    @Override
    public final int statSize() {
        return statSize;
    }

    @Override
    public final int openDirectoryFlag() {
        return openDirectory;
    }

    @Override
    public final int openNoFollowFlag() {
        return openNoFollow;
    }

    @Override
    public final int openLargeFileFlag() {
        return openLargeFile;
    }

    /**
     * The instruction and stack pointers set, the registers named at construction zero, every other
     * register as the stub's initial registers had it, and the thread pointer zero.
     *
     * @throws IllegalArgumentException if the context's register layout lacks a register named at construction
     */
    @Override
    public void startRegisters(GuestContext context, long entry, long stackPointer) {
        Registers r = context.registers();
        long[] w = r.words();
        for (String name : zeroedAtStart) {
            w[index(r, name)] = 0;
        }
        w[index(r, instructionPointer)] = entry;
        w[index(r, this.stackPointer)] = stackPointer;
        context.setRegisters(new Registers(r.arch(), r.names(), w));
        context.setTls(0);
    }

    private static int index(Registers r, String name) {
        int i = r.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("register " + name + " is not in the " + r.arch() + " layout " + r.names());
        }
        return i;
    }
}
