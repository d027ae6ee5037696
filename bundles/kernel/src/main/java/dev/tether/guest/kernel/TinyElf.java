package dev.tether.guest.kernel;

import dev.tether.guest.kernel.spi.LinuxAbi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The smallest static Linux program: an ELF64 executable (one PT_LOAD segment, no sections) whose
 * code, from the arch's {@link LinuxAbi#helloCode}, writes a message to fd 1 and exits 0. For demos
 * and tests on machines with no compiler and no static program. Layout per the System V gABI
 * (Elf64_Ehdr 64 bytes, Elf64_Phdr 56 bytes; include/uapi/linux/elf.h).
 */
public final class TinyElf {
    /** Where the segment is loaded: the traditional x86-64 / aarch64 ET_EXEC base. */
    static final long BASE = 0x400000;
    static final int EHDR = 64;
    static final int PHDR = 56;

    private TinyElf() {
    }

    /** The program's bytes; {@code writeNr}/{@code exitNr} are the arch's write and exit_group numbers. */
    public static byte[] hello(LinuxAbi abi, String message, int writeNr, int exitNr) {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        long codeAt = BASE + EHDR + PHDR;
        // the code's length does not depend on the address it is given
        int codeLength = abi.helloCode(0, msg.length, writeNr, exitNr).length;
        long msgAt = codeAt + codeLength;
        byte[] code = abi.helloCode(msgAt, msg.length, writeNr, exitNr);
        int size = EHDR + PHDR + code.length + msg.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* SYSV */});
        b.put(new byte[8]); // padding of e_ident
        b.putShort((short) 2); // e_type ET_EXEC
        b.putShort((short) abi.elfMachine());
        b.putInt(1); // e_version
        b.putLong(codeAt); // e_entry
        b.putLong(EHDR); // e_phoff
        b.putLong(0); // e_shoff: no sections
        b.putInt(0); // e_flags
        b.putShort((short) EHDR).putShort((short) PHDR).putShort((short) 1); // e_ehsize, e_phentsize, e_phnum
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0); // e_shentsize, e_shnum, e_shstrndx
        b.putInt(1); // p_type PT_LOAD
        b.putInt(5); // p_flags PF_R | PF_X
        b.putLong(0); // p_offset: the whole file
        b.putLong(BASE).putLong(BASE); // p_vaddr, p_paddr
        b.putLong(size).putLong(size); // p_filesz, p_memsz
        b.putLong(0x1000); // p_align
        b.put(code).put(msg);
        return b.array();
    }
}
