package dev.tether.core;

import java.io.ByteArrayOutputStream;

/**
 * Tiny guest programs as machine code for this host's arch (tests may know the arch; product code
 * may not). Encodings: Intel SDM vol. 2 (amd64) and the Arm ARM A64 instruction set (arm64); each is
 * commented with its assembly.
 */
final class GuestCode {
    static final boolean AMD64 = TestArch.ARCH.equals("amd64");
    /** getpid and exit_group numbers (arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h). */
    static final int GETPID = AMD64 ? 39 : 172;
    static final int EXIT = AMD64 ? 60 : 93;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    byte[] bytes() {
        return out.toByteArray();
    }

    private GuestCode raw(int... b) {
        for (int x : b) {
            out.write(x);
        }
        return this;
    }

    /** Machine code as it is (for code this class has no method for). */
    GuestCode bytes(byte[] code) {
        out.writeBytes(code);
        return this;
    }

    /** One A64 instruction, little-endian. */
    private GuestCode a64(int insn) {
        return raw(insn & 0xff, (insn >>> 8) & 0xff, (insn >>> 16) & 0xff, insn >>> 24);
    }

    /** The syscall number register := nr (eax / x8). */
    GuestCode number(int nr) {
        return AMD64 ? raw(0xb8, nr & 0xff, (nr >> 8) & 0xff, 0, 0) // mov $nr, %eax
                : a64(0xd2800000 | (nr << 5) | 8); // movz x8, #nr
    }

    /** Argument 0 := a 64-bit value (rdi / x0). */
    GuestCode arg0(long v) {
        if (AMD64) {
            raw(0x48, 0xbf); // movabs $v, %rdi
            for (int i = 0; i < 8; i++) {
                raw((int) (v >>> (8 * i)) & 0xff);
            }
            return this;
        }
        return imm64(0, v);
    }

    /** arm64: x{rd} := v with movz + 3 movk (hw 0..3). */
    private GuestCode imm64(int rd, long v) {
        a64(0xd2800000 | ((int) (v & 0xffff) << 5) | rd); // movz xd, #v[15:0]
        for (int hw = 1; hw < 4; hw++) {
            a64(0xf2800000 | (hw << 21) | ((int) ((v >>> (16 * hw)) & 0xffff) << 5) | rd); // movk xd, #.., lsl 16*hw
        }
        return this;
    }

    /** The system call instruction. */
    GuestCode syscall() {
        return AMD64 ? raw(0x0f, 0x05) // syscall
                : a64(0xd4000001); // svc #0
    }

    /** Argument 0 := the last syscall's result (amd64: mov %rax, %rdi; arm64: x0 already is). */
    GuestCode resultToArg0() {
        return AMD64 ? raw(0x48, 0x89, 0xc7) : this;
    }

    /** A load from address 0. */
    GuestCode nullLoad() {
        return AMD64 ? raw(0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0) // mov 0x0, %rax
                : a64(0xd2800001).a64(0xf9400020); // movz x1, #0; ldr x0, [x1]
    }

    /** A breakpoint trap. */
    GuestCode breakpoint() {
        return AMD64 ? raw(0xcc) // int3
                : a64(0xd4200000); // brk #0
    }

    /** amd64 only: cpuid (0F A2), with eax = 0 first (b8 00 00 00 00). */
    GuestCode cpuid() {
        return raw(0xb8, 0, 0, 0, 0, 0x0f, 0xa2);
    }

    /** A no-op instruction. */
    GuestCode nop() {
        return AMD64 ? raw(0x90) // nop
                : a64(0xd503201f); // nop
    }

    /** An undefined instruction: SIGILL. */
    GuestCode undefined() {
        return AMD64 ? raw(0x0f, 0x0b) // ud2
                : a64(0x00000000); // udf #0
    }

    /** amd64 only: call the vsyscall page's gettimeofday (movabs $0xffffffffff600000, %rax; call *%rax). */
    GuestCode callVsyscall() {
        raw(0x48, 0xb8, 0x00, 0x00, 0x60, 0xff, 0xff, 0xff, 0xff, 0xff);
        return raw(0xff, 0xd0);
    }

    /** A jump to itself, forever. */
    GuestCode spin() {
        return AMD64 ? raw(0xeb, 0xfe) // jmp .
                : a64(0x14000000); // b .
    }

    /** The first FP/vector register's low 64 bits := argument 0 (xmm0 / d0). */
    GuestCode arg0ToFp0() {
        return AMD64 ? raw(0x66, 0x48, 0x0f, 0x6e, 0xc7) // movq %rdi, %xmm0
                : a64(0x9e670000); // fmov d0, x0
    }

    /** Argument 0 := the first FP/vector register's low 64 bits. */
    GuestCode fp0ToArg0() {
        return AMD64 ? raw(0x66, 0x48, 0x0f, 0x7e, 0xc7) // movq %xmm0, %rdi
                : a64(0x9e660000); // fmov x0, d0
    }

    /** arm64 only: x7 := v (the register a syscall stop clobbers in what ptrace reports). */
    GuestCode x7(long v) {
        return imm64(7, v);
    }

    /** arm64 only: x0 := x7. */
    GuestCode x7ToArg0() {
        return a64(0xaa0703e0); // mov x0, x7 (orr x0, xzr, x7)
    }

    /** Length of {@link #nop()}. */
    static final int NOP_LENGTH = AMD64 ? 1 : 4;

    /** Byte offset of the first FP/vector register in the FP regset (FXSAVE XMM0 at 160; user_fpsimd_state vregs[0] at 0). */
    static final int FP0_OFFSET = AMD64 ? 160 : 0;
}
