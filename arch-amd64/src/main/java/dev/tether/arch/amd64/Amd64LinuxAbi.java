package dev.tether.arch.amd64;

import dev.tether.guest.GuestContext;
import dev.tether.guest.kernel.GuestMemory;
import dev.tether.guest.kernel.spi.FileStat;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.spi.ArchService;
import dev.tether.spi.support.ArchLinuxAbi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * The x86-64 Linux user ABI facts a guest kernel needs: {@code struct stat} of
 * arch/x86/include/uapi/asm/stat.h (the {@code __x86_64__} one, 144 bytes), the open flags of
 * include/uapi/asm-generic/fcntl.h (x86 takes the generic ones), {@code EM_X86_64}, the thread pointer in
 * {@code fs_base} set by {@code arch_prctl(2)}, and the CPUID a guest sees when CPUID faulting traps it.
 */
@Component(service = LinuxAbi.class, property = ArchService.ARCH_PROPERTY + "=" + Amd64SyscallTable.ARCH)
public final class Amd64LinuxAbi extends ArchLinuxAbi {
    /** EM_X86_64 (include/uapi/linux/elf-em.h). */
    static final int EM_X86_64 = 62;
    static final int STAT_SIZE = 144;
    // include/uapi/asm-generic/fcntl.h (arch/x86/include/uapi/asm/fcntl.h includes it unchanged)
    static final int O_LARGEFILE = 0100000;
    static final int O_DIRECTORY = 0200000;
    static final int O_NOFOLLOW = 0400000;
    // arch/x86/include/uapi/asm/prctl.h
    static final int ARCH_SET_GS = 0x1001;
    static final int ARCH_SET_FS = 0x1002;
    static final int ARCH_GET_FS = 0x1003;
    static final int ARCH_GET_GS = 0x1004;
    /**
     * The end of the x86-64 user address space with 4-level paging, TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE
     * (arch/x86/include/asm/page_64_types.h): arch_prctl refuses a base at or above it (EPERM).
     */
    static final long TASK_SIZE_MAX = (1L << 47) - 4096;
    // include/uapi/asm-generic/errno-base.h
    private static final int EPERM = 1;
    private static final int EFAULT = 14;
    private static final int EINVAL = 22;
    /** CPUID is 0F A2: two bytes (Intel SDM vol. 2A, CPUID). */
    static final int CPUID_LENGTH = 2;

    /** The general registers a new program starts with zero (all but the segment selectors and eflags). */
    private static final List<String> ZEROED = List.of("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
            "rax", "rcx", "rdx", "rsi", "rdi", "fs_base", "gs_base");

    /**
     * The stack: the x86-64 psABI (section 3.4.1, "Initial Stack and Register State"): rsp is 16-byte
     * aligned at entry. A new program starts with rip and rsp set, the other general registers and
     * both segment bases zero; cs, ss, the data segment selectors and eflags as the stub's initial
     * registers had them (start_thread in arch/x86/kernel/process_64.c sets the user segments and
     * eflags itself). rdx = 0 tells {@code _start} there is no dynamic linker exit function to
     * register (the psABI's initial rdx).
     */
    public Amd64LinuxAbi() {
        super(Amd64SyscallTable.ARCH, EM_X86_64, "x86_64", 16, STAT_SIZE, O_DIRECTORY, O_NOFOLLOW, O_LARGEFILE,
                "rip", "rsp", ZEROED);
    }

    /** arch/x86/include/uapi/asm/stat.h, {@code __x86_64__}: note st_nlink before st_mode, 64-bit st_blksize. */
    @Override
    public void encodeStat(FileStat st, ByteBuffer out) {
        ByteBuffer b = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, st.dev());
        b.putLong(8, st.ino());
        b.putLong(16, st.nlink());
        b.putInt(24, st.mode());
        b.putInt(28, st.uid());
        b.putInt(32, st.gid());
        b.putInt(36, 0); // __pad0
        b.putLong(40, st.rdev());
        b.putLong(48, st.size());
        b.putLong(56, st.blksize());
        b.putLong(64, st.blocks());
        b.putLong(72, st.atimeSec());
        b.putLong(80, st.atimeNsec());
        b.putLong(88, st.mtimeSec());
        b.putLong(96, st.mtimeNsec());
        b.putLong(104, st.ctimeSec());
        b.putLong(112, st.ctimeNsec());
        for (int at = 120; at < STAT_SIZE; at += 8) {
            b.putLong(at, 0); // __unused[3]
        }
        out.position(out.position() + STAT_SIZE);
    }

    /** arch_prctl(2): the FS and GS bases; other codes EINVAL (do_arch_prctl_64 in arch/x86/kernel/process_64.c). */
    @Override
    public long archPrctl(GuestContext context, GuestMemory memory, long code, long addr) {
        switch ((int) code) {
            case ARCH_SET_FS:
            case ARCH_SET_GS:
                if (Long.compareUnsigned(addr, TASK_SIZE_MAX) >= 0) {
                    return -EPERM;
                }
                if (code == ARCH_SET_FS) {
                    context.setTls(addr);
                } else {
                    context.setRegister("gs_base", addr);
                }
                return 0;
            case ARCH_GET_FS:
            case ARCH_GET_GS:
                long value = code == ARCH_GET_FS ? context.tls() : context.register("gs_base");
                byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
                try {
                    memory.write(addr, b, 0, 8);
                } catch (RuntimeException e) {
                    return -EFAULT;
                }
                return 0;
            default:
                return -EINVAL;
        }
    }

    /**
     * The CPU a guest sees: a baseline x86-64 processor (the features every x86-64 CPU has: the x86-64
     * psABI's baseline, "x86-64-v1"), so a guest's libc takes its generic code paths whatever the host
     * offers; its vendor string is Tether's own, so no vendor-specific model quirks apply. gVisor also
     * answers CPUID itself (pkg/cpuid), from a chosen feature set. Unknown leaves read as zeros.
     */
    @Override
    public boolean emulateCpuid(GuestContext context) {
        int[] r = cpuid((int) context.register("rax"), (int) context.register("rcx"));
        context.setRegister("rax", Integer.toUnsignedLong(r[0]));
        context.setRegister("rbx", Integer.toUnsignedLong(r[1]));
        context.setRegister("rcx", Integer.toUnsignedLong(r[2]));
        context.setRegister("rdx", Integer.toUnsignedLong(r[3]));
        context.setInstructionPointer(context.instructionPointer() + CPUID_LENGTH);
        return true;
    }

    /** The vendor string: 12 bytes in ebx, edx, ecx order (Intel SDM vol. 2A, CPUID leaf 0). */
    static final String VENDOR = "TetherGuestX";

    /** {eax, ebx, ecx, edx} of CPUID leaf {@code leaf}, subleaf {@code subleaf}. */
    static int[] cpuid(int leaf, int subleaf) {
        switch (leaf) {
            case 0: {
                ByteBuffer v = ByteBuffer.wrap(VENDOR.getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN);
                return new int[] {1, v.getInt(0), v.getInt(8), v.getInt(4)};
            }
            case 1:
                // eax: family 6, model 0, stepping 0; edx: FPU(0) TSC(4) CX8(8) CMOV(15) MMX(23) FXSR(24)
                // SSE(25) SSE2(26) (Intel SDM vol. 2A, table "Feature Information Returned in EDX")
                return new int[] {0x600, 0, 0, bits(0, 4, 8, 15, 23, 24, 25, 26)};
            case 0x80000000:
                return new int[] {0x80000001, 0, 0, 0};
            case 0x80000001:
                // edx: SYSCALL(11) NX(20) LM(29)
                return new int[] {0, 0, 0, bits(11, 20, 29)};
            default:
                return new int[4];
        }
    }

    private static int bits(int... positions) {
        int v = 0;
        for (int p : positions) {
            v |= 1 << p;
        }
        return v;
    }

    /** Encodings: Intel SDM vol. 2 (MOV r32, imm32 B8+rd; MOV r64, imm64 REX.W B8+rd; SYSCALL 0F 05). */
    @Override
    public byte[] helloCode(long message, int length, int writeNr, int exitNr) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xbf).putInt(1); // mov $1, %edi
        b.put((byte) 0x48).put((byte) 0xbe).putLong(message); // movabs $message, %rsi
        b.put((byte) 0xba).putInt(length); // mov $length, %edx
        b.put((byte) 0xb8).putInt(writeNr); // mov $writeNr, %eax
        b.put((byte) 0x0f).put((byte) 0x05); // syscall
        b.put((byte) 0x31).put((byte) 0xff); // xor %edi, %edi
        b.put((byte) 0xb8).putInt(exitNr); // mov $exitNr, %eax
        b.put((byte) 0x0f).put((byte) 0x05); // syscall
        b.put((byte) 0xeb).put((byte) 0xfe); // jmp .
        return java.util.Arrays.copyOf(b.array(), b.position());
    }
}
