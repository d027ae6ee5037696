package dev.tether.guest.kernel.testing;

import dev.tether.api.Registers;
import dev.tether.guest.GuestContext;
import dev.tether.guest.kernel.spi.FileStat;
import dev.tether.guest.kernel.spi.LinuxAbi;
import java.nio.ByteBuffer;

/**
 * TEST DOUBLE: a {@link LinuxAbi} for the host's arch with a deliberately simple {@code struct stat}
 * (the real layouts are the arch bundles' and are tested there against the C compiler): 16 longs, in
 * {@link FileStat}'s component order. The open flags and ELF machine are the host's real values, so
 * programs built by the host's gcc load.
 */
public final class SimpleAbi implements LinuxAbi {
    private final String arch;

    public SimpleAbi(String arch) {
        this.arch = arch;
    }

    public static SimpleAbi forHost() {
        return new SimpleAbi(HostSyscallTable.hostArch());
    }

    private boolean amd64() {
        return arch.equals("amd64");
    }

    @Override
    public String arch() {
        return arch;
    }

    /** EM_X86_64 62, EM_AARCH64 183 (include/uapi/linux/elf-em.h). */
    @Override
    public int elfMachine() {
        return amd64() ? 62 : 183;
    }

    @Override
    public String unameMachine() {
        return amd64() ? "x86_64" : "aarch64";
    }

    @Override
    public int stackAlignment() {
        return 16;
    }

    @Override
    public int statSize() {
        return 16 * 8;
    }

    @Override
    public void encodeStat(FileStat s, ByteBuffer out) {
        out.putLong(s.dev()).putLong(s.ino()).putLong(s.mode()).putLong(s.nlink()).putLong(s.uid()).putLong(s.gid())
                .putLong(s.rdev()).putLong(s.size()).putLong(s.blksize()).putLong(s.blocks()).putLong(s.atimeSec())
                .putLong(s.atimeNsec()).putLong(s.mtimeSec()).putLong(s.mtimeNsec()).putLong(s.ctimeSec())
                .putLong(s.ctimeNsec());
    }

    /** include/uapi/asm-generic/fcntl.h (x86-64) or arch/arm64/include/uapi/asm/fcntl.h. */
    @Override
    public int openDirectoryFlag() {
        return amd64() ? 0200000 : 040000;
    }

    @Override
    public int openNoFollowFlag() {
        return amd64() ? 0400000 : 0100000;
    }

    @Override
    public int openLargeFileFlag() {
        return amd64() ? 0100000 : 0400000;
    }

    @Override
    public void startRegisters(GuestContext context, long entry, long stackPointer) {
        Registers r = context.registers();
        context.setRegisters(new Registers(r.arch(), r.names(), new long[r.size()]));
        context.setInstructionPointer(entry);
        context.setStackPointer(stackPointer);
    }

    /** Not a real encoding (the arch bundles' tests check theirs): 12 marker bytes, as long as any. */
    @Override
    public byte[] helloCode(long message, int length, int writeNr, int exitNr) {
        return java.nio.ByteBuffer.allocate(12).putLong(message).putInt(length).array();
    }
}
