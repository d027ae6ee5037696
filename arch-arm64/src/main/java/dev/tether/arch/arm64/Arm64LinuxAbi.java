package dev.tether.arch.arm64;

import dev.tether.guest.kernel.spi.FileStat;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.spi.ArchService;
import dev.tether.spi.support.ArchLinuxAbi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * The arm64 Linux user ABI facts a guest kernel needs: the generic {@code struct stat} of
 * include/uapi/asm-generic/stat.h (128 bytes; arch/arm64/include/uapi/asm/stat.h takes it), the open
 * flags that arch/arm64/include/uapi/asm/fcntl.h redefines, {@code EM_AARCH64}, and the thread pointer
 * {@code TPIDR_EL0}, which the program sets itself ({@code msr tpidr_el0}): arm64 has no
 * {@code arch_prctl} and no CPUID instruction to fault on.
 */
@Component(service = LinuxAbi.class, property = ArchService.ARCH_PROPERTY + "=" + Arm64SyscallTable.ARCH)
public final class Arm64LinuxAbi extends ArchLinuxAbi {
    /** EM_AARCH64 (include/uapi/linux/elf-em.h). */
    static final int EM_AARCH64 = 183;
    static final int STAT_SIZE = 128;
    // arch/arm64/include/uapi/asm/fcntl.h
    static final int O_DIRECTORY = 040000;
    static final int O_NOFOLLOW = 0100000;
    static final int O_LARGEFILE = 0400000;

    /**
     * The stack: AAPCS64 (section "The Stack", universal stack constraints): SP mod 16 = 0. A new
     * program starts with pc and sp set, x0..x30 zero (x0 = 0: no dynamic linker exit function for
     * {@code _start}), pstate as the stub had it (start_thread_common in
     * arch/arm64/include/asm/processor.h sets user mode itself), TPIDR_EL0 zero.
     */
    public Arm64LinuxAbi() {
        super(Arm64SyscallTable.ARCH, EM_AARCH64, "aarch64", 16, STAT_SIZE, O_DIRECTORY, O_NOFOLLOW, O_LARGEFILE,
                "pc", "sp", generalRegisters());
    }

    private static List<String> generalRegisters() {
        List<String> x = new ArrayList<>();
        for (int i = 0; i <= 30; i++) {
            x.add("x" + i);
        }
        return x;
    }

    /** include/uapi/asm-generic/stat.h with 64-bit longs: 32-bit st_mode, st_nlink, st_blksize. */
    @Override
    public void encodeStat(FileStat st, ByteBuffer out) {
        ByteBuffer b = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, st.dev());
        b.putLong(8, st.ino());
        b.putInt(16, st.mode());
        b.putInt(20, (int) st.nlink());
        b.putInt(24, st.uid());
        b.putInt(28, st.gid());
        b.putLong(32, st.rdev());
        b.putLong(40, 0); // __pad1
        b.putLong(48, st.size());
        b.putInt(56, st.blksize());
        b.putInt(60, 0); // __pad2
        b.putLong(64, st.blocks());
        b.putLong(72, st.atimeSec());
        b.putLong(80, st.atimeNsec());
        b.putLong(88, st.mtimeSec());
        b.putLong(96, st.mtimeNsec());
        b.putLong(104, st.ctimeSec());
        b.putLong(112, st.ctimeNsec());
        b.putLong(120, 0); // __unused4, __unused5
        out.position(out.position() + STAT_SIZE);
    }

    /** Encodings: Arm ARM, A64 (MOVZ/MOVK 64-bit: 0xd2800000 / 0xf2800000 | hw << 21 | imm16 << 5 | Rd; SVC #0 0xd4000001; B . 0x14000000). */
    @Override
    public byte[] helloCode(long message, int length, int writeNr, int exitNr) {
        if (length < 0 || length > 0xffff || writeNr > 0xffff || exitNr > 0xffff) {
            throw new IllegalArgumentException("helloCode: values must fit in 16 bits");
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xd2800000 | (1 << 5)); // movz x0, #1
        b.putInt(0xd2800000 | ((int) (message & 0xffff) << 5) | 1); // movz x1, #message[15:0]
        for (int hw = 1; hw < 4; hw++) {
            b.putInt(0xf2800000 | (hw << 21) | ((int) ((message >>> (16 * hw)) & 0xffff) << 5) | 1); // movk x1, ..., lsl 16*hw
        }
        b.putInt(0xd2800000 | (length << 5) | 2); // movz x2, #length
        b.putInt(0xd2800000 | (writeNr << 5) | 8); // movz x8, #writeNr
        b.putInt(0xd4000001); // svc #0
        b.putInt(0xd2800000); // movz x0, #0
        b.putInt(0xd2800000 | (exitNr << 5) | 8); // movz x8, #exitNr
        b.putInt(0xd4000001); // svc #0
        b.putInt(0x14000000); // b .
        return java.util.Arrays.copyOf(b.array(), b.position());
    }
}
