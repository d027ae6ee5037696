package dev.tether.guest.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed 64-bit little-endian ELF executable: the header fields and program headers a loader needs
 * ({@code include/uapi/linux/elf.h}: {@code Elf64_Ehdr}, {@code Elf64_Phdr}). Only what
 * {@code fs/binfmt_elf.c}'s {@code load_elf_binary} checks is checked here; {@link ElfLoader} refuses
 * what this kernel cannot run (an interpreter, another machine).
 */
public final class ElfFile {
    // include/uapi/linux/elf.h
    static final int EI_NIDENT = 16;
    static final int ELFCLASS64 = 2;
    static final int ELFDATA2LSB = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int PT_LOAD = 1;
    public static final int PT_INTERP = 3;
    public static final int PT_PHDR = 6;
    public static final int PT_GNU_STACK = 0x6474e551;
    public static final int PF_X = 1;
    public static final int PF_W = 2;
    public static final int PF_R = 4;
    /** sizeof(Elf64_Ehdr). */
    static final int EHDR_SIZE = 64;
    /** sizeof(Elf64_Phdr). */
    static final int PHDR_SIZE = 56;
    /** fs/binfmt_elf.c: a program header table over 64 KiB is refused (ELF_MIN_ALIGN.. 65536). */
    static final int MAX_PHDR_BYTES = 65536;

    /** One {@code Elf64_Phdr}. */
    public record ProgramHeader(int type, int flags, long offset, long vaddr, long filesz, long memsz, long align) {
    }

    private final String name;
    private final byte[] image;
    private final int type;
    private final int machine;
    private final long entry;
    private final long phoff;
    private final int phentsize;
    private final List<ProgramHeader> headers;

    private ElfFile(String name, byte[] image, int type, int machine, long entry, long phoff, int phentsize,
            List<ProgramHeader> headers) {
        this.name = name;
        this.image = image;
        this.type = type;
        this.machine = machine;
        this.entry = entry;
        this.phoff = phoff;
        this.phentsize = phentsize;
        this.headers = List.copyOf(headers);
    }

    /**
     * Parses {@code image}, the whole file named {@code name} (for messages).
     *
     * @throws GuestLoadException naming the file and the defect
     */
    public static ElfFile parse(String name, byte[] image) {
        if (image.length < EHDR_SIZE || image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F') {
            throw new GuestLoadException(name + ": not an ELF file (no \\x7fELF magic)");
        }
        if (image[4] != ELFCLASS64) {
            throw new GuestLoadException(name + ": not a 64-bit ELF file (EI_CLASS " + image[4] + ")");
        }
        if (image[5] != ELFDATA2LSB) {
            throw new GuestLoadException(name + ": not a little-endian ELF file (EI_DATA " + image[5] + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int type = Short.toUnsignedInt(b.getShort(16));
        int machine = Short.toUnsignedInt(b.getShort(18));
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = Short.toUnsignedInt(b.getShort(54));
        int phnum = Short.toUnsignedInt(b.getShort(56));
        if (type != ET_EXEC && type != ET_DYN) {
            throw new GuestLoadException(name + ": ELF type " + type + " is not an executable (ET_EXEC 2 or ET_DYN 3)");
        }
        if (phentsize != PHDR_SIZE) {
            throw new GuestLoadException(name + ": e_phentsize " + phentsize + ", expected " + PHDR_SIZE);
        }
        if (phnum == 0 || (long) phnum * PHDR_SIZE > MAX_PHDR_BYTES) {
            throw new GuestLoadException(name + ": e_phnum " + phnum + " out of range 1.." + MAX_PHDR_BYTES / PHDR_SIZE);
        }
        if (phoff < 0 || phoff + (long) phnum * PHDR_SIZE > image.length) {
            throw new GuestLoadException(name + ": program headers at " + phoff + " lie outside the file ("
                    + image.length + " bytes)");
        }
        List<ProgramHeader> headers = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int at = (int) phoff + i * PHDR_SIZE;
            ProgramHeader h = new ProgramHeader(b.getInt(at), b.getInt(at + 4), b.getLong(at + 8), b.getLong(at + 16),
                    b.getLong(at + 32), b.getLong(at + 40), b.getLong(at + 48));
            if (h.type() == PT_LOAD) {
                if (h.filesz() > h.memsz() || h.offset() < 0 || h.filesz() < 0 || h.offset() + h.filesz() > image.length) {
                    throw new GuestLoadException(name + ": PT_LOAD " + i + " (offset " + h.offset() + ", filesz "
                            + h.filesz() + ", memsz " + h.memsz() + ") does not fit the file (" + image.length + " bytes)");
                }
                if (h.vaddr() < 0 || h.vaddr() + h.memsz() < h.vaddr()) {
                    throw new GuestLoadException(name + ": PT_LOAD " + i + " at " + Long.toHexString(h.vaddr())
                            + " wraps the address space");
                }
            }
            headers.add(h);
        }
        if (headers.stream().noneMatch(h -> h.type() == PT_LOAD)) {
            throw new GuestLoadException(name + ": no PT_LOAD segment");
        }
        return new ElfFile(name, image, type, machine, entry, phoff, phentsize, headers);
    }

    public String name() {
        return name;
    }

    /** {@link #ET_EXEC} or {@link #ET_DYN}. */
    public int type() {
        return type;
    }

    /** {@code e_machine}. */
    public int machine() {
        return machine;
    }

    /** {@code e_entry} (relative to the load bias for ET_DYN). */
    public long entry() {
        return entry;
    }

    /** {@code e_phoff}. */
    public long programHeaderOffset() {
        return phoff;
    }

    /** {@code e_phentsize}. */
    public int programHeaderEntrySize() {
        return phentsize;
    }

    public List<ProgramHeader> programHeaders() {
        return headers;
    }

    /** The PT_LOAD segments, in file order. */
    public List<ProgramHeader> loadSegments() {
        return headers.stream().filter(h -> h.type() == PT_LOAD).toList();
    }

    /** The interpreter path of a dynamically linked program (PT_INTERP), or null. */
    public String interpreter() {
        for (ProgramHeader h : headers) {
            if (h.type() == PT_INTERP) {
                int len = (int) Math.min(h.filesz(), Math.max(0, image.length - h.offset()));
                int end = 0;
                while (end < len && image[(int) h.offset() + end] != 0) {
                    end++;
                }
                return new String(image, (int) h.offset(), end, java.nio.charset.StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** The file's bytes {@code [offset, offset+length)} (no copy: do not modify). */
    byte[] image() {
        return image;
    }
}
