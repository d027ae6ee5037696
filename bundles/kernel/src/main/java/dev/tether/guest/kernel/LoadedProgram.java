package dev.tether.guest.kernel;

import java.util.List;

/**
 * Where a program was loaded in a guest's memory and the stack it starts with.
 *
 * @param entry the instruction pointer to start at (load bias applied)
 * @param stackPointer the stack pointer at entry: it points at {@code argc}
 * @param loadBias what was added to the ELF's addresses (0 for ET_EXEC)
 * @param phdr the address of the program headers in guest memory (AT_PHDR)
 * @param brkStart the initial program break: the page after the highest segment
 * @param stackTop the end of the stack mapping (exclusive)
 * @param stackBottom the start of the stack mapping
 * @param randomAddress where the 16 AT_RANDOM bytes are
 * @param execfnAddress where the AT_EXECFN string is
 * @param auxv the auxiliary vector as written, key/value pairs, AT_NULL last
 */
public record LoadedProgram(long entry, long stackPointer, long loadBias, long phdr, long brkStart, long stackTop,
        long stackBottom, long randomAddress, long execfnAddress, List<long[]> auxv) {

    /** The value of auxv key {@code key}, or -1 when absent. */
    public long auxValue(int key) {
        for (long[] kv : auxv) {
            if (kv[0] == key) {
                return kv[1];
            }
        }
        return -1;
    }
}
