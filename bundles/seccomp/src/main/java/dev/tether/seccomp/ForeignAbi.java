package dev.tether.seccomp;

import java.util.Objects;

/**
 * A second syscall ABI that shares an architecture's audit arch, told apart only by its syscall
 * numbers: on x86-64, the x32 ABI's numbers have {@code __X32_SYSCALL_BIT} (0x40000000) set
 * (arch/x86/include/uapi/asm/unistd.h) and {@code seccomp_data.arch} is still
 * {@code AUDIT_ARCH_X86_64}. On a kernel built with {@code CONFIG_X86_X32_ABI} those numbers run
 * ordinary syscalls, so a filter that lets them reach its rules (which name the native numbers)
 * can be bypassed. An arch bundle's {@link SyscallTable#foreignAbi()} names it; the compiler then
 * gives every number from {@link #syscallBit} up the bad-arch action, as libseccomp does (see
 * {@link ForeignAbiSyscalls}).
 *
 * @param name the ABI's name, also the rule-file key that chooses how its syscalls are treated
 *        ({@code x32})
 * @param syscallBit the bit that marks its syscall numbers, a power of two: every number that
 *        has it or a higher bit set, that is {@code nr >= syscallBit} unsigned, is the foreign
 *        ABI's (except -1, see {@link ForeignAbiSyscalls#BAD_ARCH_ACTION})
 */
public record ForeignAbi(String name, int syscallBit) {
    /** Checks the name (a JSON key: ASCII letters and digits) and that the bit is one bit. */
    public ForeignAbi {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[a-z][a-z0-9]*")) {
            throw new IllegalArgumentException("foreign ABI name " + Json.quoted(name) + " is not lower-case letters and digits");
        }
        if (Integer.bitCount(syscallBit) != 1 || syscallBit < 0) {
            throw new IllegalArgumentException("foreign ABI syscall bit 0x" + Integer.toHexString(syscallBit)
                    + " is not one bit of 0x1..0x40000000");
        }
    }

    /** Whether {@code nr} is this ABI's: {@code nr >= syscallBit} as unsigned 32-bit values, and not -1. */
    public boolean owns(int nr) {
        return nr != -1 && Integer.compareUnsigned(nr, syscallBit) >= 0;
    }
}
