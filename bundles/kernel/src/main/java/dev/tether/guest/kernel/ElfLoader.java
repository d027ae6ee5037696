package dev.tether.guest.kernel;

import dev.tether.abi.Mman;
import dev.tether.guest.kernel.spi.LinuxAbi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a static ELF executable into a guest's memory and builds its initial stack, as
 * {@code fs/binfmt_elf.c}'s {@code load_elf_binary} and {@code create_elf_tables} (Linux 6.1) do for a
 * program without interpreter, less the randomisation: PT_LOAD segments are copied into fresh
 * anonymous memory (mapped writable, filled, then given their own protection), the bss is zero, and
 * the stack holds argc, argv, envp and the auxiliary vector with the strings above them. No vDSO is
 * mapped, so AT_SYSINFO_EHDR is absent (libc then makes real system calls for the time).
 */
final class ElfLoader {
    /** _STK_LIM (include/uapi/linux/resource.h): the default RLIMIT_STACK, 8 MiB. */
    static final long STACK_SIZE = 8L << 20;
    /** Space left between the stack's top and the top of the guest's range (the stub page lies above). */
    static final long STACK_GUARD = 1L << 20;
    /** Space left between the stack's bottom and the mmap area, as mm/util.c's mmap_base leaves a gap. */
    static final long MMAP_GAP = 1L << 20;

    private ElfLoader() {
    }

    static LoadedProgram load(ElfFile elf, LinuxAbi abi, MemoryManager mm, GuestMemory memory, ProgramSetup setup) {
        if (elf.machine() != abi.elfMachine()) {
            throw new GuestLoadException(elf.name() + ": built for ELF machine " + elf.machine() + ", but this guest is "
                    + abi.arch() + " (e_machine " + abi.elfMachine() + ")");
        }
        String interp = elf.interpreter();
        if (interp != null) {
            throw new GuestLoadException(elf.name() + ": dynamically linked (interpreter " + interp
                    + "); only static programs run (ET_EXEC, or static-PIE ET_DYN without PT_INTERP)");
        }
        long page = mm.pageSize();
        long limit = memory.limit();
        long stackTop = mm.pageDown(limit - STACK_GUARD);
        long stackBottom = stackTop - STACK_SIZE;
        long bias = 0;
        List<ElfFile.ProgramHeader> loads = elf.loadSegments();
        if (elf.type() == ElfFile.ET_DYN) {
            // ELF_ET_DYN_BASE: 2/3 of the user address space on x86-64 and arm64 (arch/x86/include/asm/elf.h,
            // arch/arm64/include/asm/elf.h), aligned to the largest segment alignment, as load_elf_binary does
            long align = page;
            for (ElfFile.ProgramHeader h : loads) {
                if (h.align() > align && Long.bitCount(h.align()) == 1) {
                    align = h.align();
                }
            }
            long base = mm.pageDown(limit / 3 * 2);
            bias = (base & -align) - mm.pageDown(loads.get(0).vaddr());
        }
        long mappedEnd = 0;
        long highest = 0;
        for (ElfFile.ProgramHeader h : loads) {
            long start = mm.pageDown(bias + h.vaddr());
            long end = mm.pageUp(bias + h.vaddr() + h.memsz());
            if (h.memsz() == 0) {
                continue;
            }
            if (start < MemoryManager.MIN_ADDRESS || end > stackBottom - MMAP_GAP) {
                throw new GuestLoadException(String.format("%s: segment %#x..%#x lies outside the guest's range %#x..%#x",
                        elf.name(), bias + h.vaddr(), bias + h.vaddr() + h.memsz(), MemoryManager.MIN_ADDRESS,
                        stackBottom - MMAP_GAP));
            }
            long from = Math.max(start, mappedEnd);
            if (start < mappedEnd - page) {
                throw new GuestLoadException(elf.name() + ": PT_LOAD segments overlap or are not in address order");
            }
            if (from < end) {
                mm.mapFixed(from, end - from, Mman.PROT_READ | Mman.PROT_WRITE);
            }
            mappedEnd = Math.max(mappedEnd, end);
            memory.write(bias + h.vaddr(), elf.image(), (int) h.offset(), (int) h.filesz());
            long bssStart = bias + h.vaddr() + h.filesz();
            long bssEnd = Math.min(mm.pageUp(bssStart), bias + h.vaddr() + h.memsz());
            if (bssEnd > bssStart) {
                memory.write(bssStart, new byte[(int) (bssEnd - bssStart)], 0, (int) (bssEnd - bssStart));
            }
            highest = Math.max(highest, end);
        }
        for (ElfFile.ProgramHeader h : loads) {
            if (h.memsz() != 0) {
                long start = mm.pageDown(bias + h.vaddr());
                mm.mprotect(start, mm.pageUp(bias + h.vaddr() + h.memsz()) - start, prot(h.flags()));
            }
        }
        long phdr = phdrAddress(elf, bias);
        mm.mapFixed(stackBottom, STACK_SIZE, Mman.PROT_READ | Mman.PROT_WRITE);
        mm.setMmapTop(stackBottom - MMAP_GAP);
        mm.setBrk(highest, stackBottom - MMAP_GAP);
        return buildStack(abi, memory, setup, stackTop, stackBottom, bias, bias + elf.entry(), phdr,
                elf.programHeaders().size(), highest);
    }

    /** PF_* to PROT_*: the bits are reversed (include/uapi/linux/elf.h, include/uapi/asm-generic/mman-common.h). */
    static int prot(int pflags) {
        return ((pflags & ElfFile.PF_R) != 0 ? Mman.PROT_READ : 0) | ((pflags & ElfFile.PF_W) != 0 ? Mman.PROT_WRITE : 0)
                | ((pflags & ElfFile.PF_X) != 0 ? Mman.PROT_EXEC : 0);
    }

    /** AT_PHDR: PT_PHDR's address, else where the PT_LOAD that holds e_phoff puts it (as glibc finds it). */
    static long phdrAddress(ElfFile elf, long bias) {
        for (ElfFile.ProgramHeader h : elf.programHeaders()) {
            if (h.type() == ElfFile.PT_PHDR) {
                return bias + h.vaddr();
            }
        }
        for (ElfFile.ProgramHeader h : elf.loadSegments()) {
            if (elf.programHeaderOffset() >= h.offset() && elf.programHeaderOffset() < h.offset() + h.filesz()) {
                return bias + h.vaddr() + (elf.programHeaderOffset() - h.offset());
            }
        }
        throw new GuestLoadException(elf.name() + ": the program headers are in no PT_LOAD segment (AT_PHDR unknown)");
    }

    /**
     * The initial stack, laid out as create_elf_tables does: from the top, a NULL word, AT_EXECFN's string,
     * the envp strings, the argv strings (argv[0] lowest), the 16 AT_RANDOM bytes below them aligned down,
     * then - from the stack pointer up - argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL, with the
     * stack pointer aligned down to the ABI's alignment.
     */
    static LoadedProgram buildStack(LinuxAbi abi, GuestMemory memory, ProgramSetup setup, long stackTop,
            long stackBottom, long bias, long entry, long phdr, int phnum, long highest) {
        long p = stackTop - 8; // bprm->p starts one pointer below the top (fs/exec.c __bprm_mm_init)
        byte[] execfn = cstring(setup.execfn());
        p -= execfn.length;
        long execfnAt = p;
        long[] envAt = new long[setup.envp().size()];
        byte[][] envBytes = new byte[envAt.length][];
        for (int i = envAt.length - 1; i >= 0; i--) {
            envBytes[i] = cstring(setup.envp().get(i));
            p -= envBytes[i].length;
            envAt[i] = p;
        }
        long[] argAt = new long[setup.argv().size()];
        byte[][] argBytes = new byte[argAt.length][];
        for (int i = argAt.length - 1; i >= 0; i--) {
            argBytes[i] = cstring(setup.argv().get(i));
            p -= argBytes[i].length;
            argAt[i] = p;
        }
        long stringsStart = p;
        long align = abi.stackAlignment();
        p &= -align; // arch_align_stack, without its random offset
        p -= 16;
        long randomAt = p;

        List<long[]> auxv = new ArrayList<>();
        aux(auxv, Auxv.AT_HWCAP, setup.hwcap());
        aux(auxv, Auxv.AT_PAGESZ, memory.pageSize());
        aux(auxv, Auxv.AT_CLKTCK, Auxv.USER_HZ);
        aux(auxv, Auxv.AT_PHDR, phdr);
        aux(auxv, Auxv.AT_PHENT, ElfFile.PHDR_SIZE);
        aux(auxv, Auxv.AT_PHNUM, phnum);
        aux(auxv, Auxv.AT_BASE, 0);
        aux(auxv, Auxv.AT_FLAGS, 0);
        aux(auxv, Auxv.AT_ENTRY, entry);
        aux(auxv, Auxv.AT_UID, setup.credentials()[0]);
        aux(auxv, Auxv.AT_EUID, setup.credentials()[1]);
        aux(auxv, Auxv.AT_GID, setup.credentials()[2]);
        aux(auxv, Auxv.AT_EGID, setup.credentials()[3]);
        aux(auxv, Auxv.AT_SECURE, 0);
        aux(auxv, Auxv.AT_RANDOM, randomAt);
        aux(auxv, Auxv.AT_HWCAP2, setup.hwcap2()); // x86 and arm64 define ELF_HWCAP2: always there, even 0
        aux(auxv, Auxv.AT_EXECFN, execfnAt);
        aux(auxv, Auxv.AT_NULL, 0);

        long sp = p - auxv.size() * 16L;
        int items = (argAt.length + 1) + (envAt.length + 1) + 1;
        sp = (sp - items * 8L) & -align; // STACK_ROUND
        if (sp < stackBottom + 4096) {
            throw new GuestLoadException("arguments and environment do not fit the " + (stackTop - stackBottom)
                    + "-byte stack");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (stackTop - sp)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(argAt.length);
        for (long a : argAt) {
            b.putLong(a);
        }
        b.putLong(0);
        for (long e : envAt) {
            b.putLong(e);
        }
        b.putLong(0);
        for (long[] kv : auxv) {
            b.putLong(kv[0]).putLong(kv[1]);
        }
        b.position((int) (randomAt - sp));
        b.put(setup.random());
        b.position((int) (stringsStart - sp));
        for (byte[] s : argBytes) {
            b.put(s);
        }
        for (byte[] s : envBytes) {
            b.put(s);
        }
        b.put(execfn);
        memory.write(sp, b.array(), 0, b.capacity());
        return new LoadedProgram(entry, sp, bias, phdr, highest, stackTop, stackBottom, randomAt, execfnAt,
                List.copyOf(auxv));
    }

    private static void aux(List<long[]> auxv, int key, long value) {
        auxv.add(new long[] {key, value});
    }

    private static byte[] cstring(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[u.length + 1];
        System.arraycopy(u, 0, c, 0, u.length);
        return c;
    }
}
