package dev.tether.spi;

/**
 * A block of position-independent machine code.
 *
 * @param code the bytes
 * @param entryOffset where execution starts
 * @param syscallOffset for the stub: offset of the syscall instruction every injection starts at
 *     (where {@code initRegs}' IP points); -1 where it does not apply
 * @param listing a readable disassembly (offset, bytes, mnemonic), for diagnostics
 */
public record MachineCode(byte[] code, int entryOffset, int syscallOffset, String listing) {
    public MachineCode {
        code = code.clone();
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    public int length() {
        return code.length;
    }
}
