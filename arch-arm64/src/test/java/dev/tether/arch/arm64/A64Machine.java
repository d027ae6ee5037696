package dev.tether.arch.arm64;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A test-only AArch64 user-mode machine for the few instruction classes the trap handler uses, decoded
 * from the instruction words by their Arm ARM (DDI 0487) encodings, independently of {@link A64Assembler}:
 * ADD/SUB/SUBS (immediate), AND (immediate) with its own {@code DecodeBitMasks}, MOVZ, ORR (register) as
 * MOV, LDR/STR (unsigned offset), LDAR/STLR, DMB, YIELD, B, B.cond (EQ/NE), CBZ/CBNZ, RET, SVC and HLT.
 * Anything else is an error naming the word. One memory region, little-endian; a {@link Hooks} object
 * plays the kernel (SVC) and the other side of the protocol (YIELD and stores).
 */
final class A64Machine {
    /** What happens outside the instruction stream. */
    interface Hooks {
        /** An SVC: returns the new x0. */
        long svc(A64Machine m, long nr, long[] args);

        default void yielded(A64Machine m) {
        }

        default void stored(A64Machine m, long address, long value) {
        }
    }

    final long[] x = new long[31];
    long sp;
    long pc;
    /** TPIDR_EL0, the EL0 thread pointer (mrs/msr). */
    long tpidrEl0;
    boolean z;
    final long codeBase;
    final int[] code;
    final long memBase;
    final ByteBuffer mem;
    int steps;

    A64Machine(long codeBase, byte[] bytes, long memBase, ByteBuffer mem) {
        this.codeBase = codeBase;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.code = new int[bytes.length / 4];
        for (int i = 0; i < code.length; i++) {
            code[i] = b.getInt(4 * i);
        }
        this.memBase = memBase;
        this.mem = mem.order(ByteOrder.LITTLE_ENDIAN);
    }

    long load(long address) {
        return mem.getLong(offset(address));
    }

    void store(long address, long value) {
        mem.putLong(offset(address), value);
    }

    private int offset(long address) {
        long off = address - memBase;
        if (off < 0 || off + 8 > mem.capacity() || (off & 7) != 0) {
            throw new IllegalStateException(String.format("access to 0x%x outside the region or unaligned (pc 0x%x)", address, pc));
        }
        return (int) off;
    }

    /** Register n as a source where 31 is XZR. */
    private long r(int n) {
        return n == 31 ? 0 : x[n];
    }

    /** Register n as a source where 31 is SP. */
    private long rsp(int n) {
        return n == 31 ? sp : x[n];
    }

    private void w(int n, long v) {
        if (n != 31) {
            x[n] = v;
        }
    }

    private void wsp(int n, long v) {
        if (n == 31) {
            sp = v;
        } else {
            x[n] = v;
        }
    }

    /** Runs from pc until an SVC whose number is {@code stopNr} has been made (it is not executed), or maxSteps. */
    void runUntilSvc(long stopNr, Hooks hooks, int maxSteps) {
        while (steps++ < maxSteps) {
            long idx = (pc - codeBase) / 4;
            if (pc < codeBase || idx >= code.length || (pc & 3) != 0) {
                throw new IllegalStateException(String.format("pc 0x%x is outside the code", pc));
            }
            int w = code[(int) idx];
            int rd = w & 31;
            int rn = (w >>> 5) & 31;
            long next = pc + 4;
            if ((w & 0xff800000) == 0x91000000 || (w & 0xff800000) == 0xd1000000 || (w & 0xff800000) == 0xf1000000) {
                long imm = (long) ((w >>> 10) & 0xfff) << (((w >>> 22) & 1) * 12);
                int top = w >>> 24;
                if (top == 0x91) {
                    wsp(rd, rsp(rn) + imm);
                } else if (top == 0xd1) {
                    wsp(rd, rsp(rn) - imm);
                } else { // SUBS: only Z is used (b.eq / b.ne)
                    long v = rsp(rn) - imm;
                    z = v == 0;
                    w(rd, v);
                }
            } else if ((w & 0xff800000) == 0x92000000) {
                wsp(rd, r(rn) & decodeBitMasks((w >>> 22) & 1, (w >>> 16) & 0x3f, (w >>> 10) & 0x3f));
            } else if ((w & 0xff800000) == 0xd2800000) {
                w(rd, (long) ((w >>> 5) & 0xffff) << (((w >>> 21) & 3) * 16));
            } else if ((w & 0xffe0ffe0) == 0xaa0003e0) {
                w(rd, r((w >>> 16) & 31));
            } else if ((w & 0xffc00000) == 0xf9400000) {
                w(rd, load(rsp(rn) + 8L * ((w >>> 10) & 0xfff)));
            } else if ((w & 0xffc00000) == 0xf9000000) {
                long a = rsp(rn) + 8L * ((w >>> 10) & 0xfff);
                store(a, r(rd));
                hooks.stored(this, a, r(rd));
            } else if ((w & 0xfffffc00) == 0xc8dffc00) {
                w(rd, load(rsp(rn)));
            } else if ((w & 0xfffffc00) == 0xc89ffc00) {
                store(rsp(rn), r(rd));
                hooks.stored(this, rsp(rn), r(rd));
            } else if (w == 0xd5033bbf) {
                // dmb ish: one thread of execution here, nothing to order
            } else if ((w & 0xffffffe0) == 0xd53bd040) {
                w(rd, tpidrEl0); // mrs xt, tpidr_el0
            } else if ((w & 0xffffffe0) == 0xd51bd040) {
                tpidrEl0 = r(rd); // msr tpidr_el0, xt
            } else if (w == 0xd503203f) {
                hooks.yielded(this);
            } else if ((w & 0xfc000000) == 0x14000000) {
                next = pc + 4L * ((w << 6) >> 6);
            } else if ((w & 0xff000010) == 0x54000000) {
                int cond = w & 15;
                if (cond != 0 && cond != 1) {
                    throw new IllegalStateException("b.cond with condition " + cond + " is not modelled");
                }
                if (z == (cond == 0)) {
                    next = pc + 4L * ((w << 8) >> 13);
                }
            } else if ((w & 0xfe000000) == 0xb4000000) {
                boolean nonZero = (w & 0x01000000) != 0;
                if ((r(rd) != 0) == nonZero) {
                    next = pc + 4L * ((w << 8) >> 13);
                }
            } else if (w == 0xd65f03c0) {
                next = x[30];
            } else if (w == 0xd4000001) {
                long[] args = {r(0), r(1), r(2), r(3), r(4), r(5)};
                if (x[8] == stopNr) {
                    return;
                }
                x[0] = hooks.svc(this, x[8], args);
            } else if ((w & 0xffe0001f) == 0xd4400000) {
                throw new IllegalStateException(String.format("hlt at 0x%x", pc));
            } else {
                throw new IllegalStateException(String.format("word %08x at 0x%x is not modelled", w, pc));
            }
            pc = next;
        }
        throw new IllegalStateException("no svc " + stopNr + " within " + maxSteps + " steps (pc 0x" + Long.toHexString(pc) + ")");
    }

    /** The Arm ARM's DecodeBitMasks(N, imms, immr, immediate=TRUE) for 64-bit registers: wmask. */
    static long decodeBitMasks(int n, int immr, int imms) {
        int combined = (n << 6) | (~imms & 0x3f);
        int len = 31 - Integer.numberOfLeadingZeros(combined); // HighestSetBit
        if (len < 1) {
            throw new IllegalStateException("reserved bitmask encoding");
        }
        int esize = 1 << len;
        int levels = esize - 1;
        int s = imms & levels;
        int r = immr & levels;
        if (s == levels) {
            throw new IllegalStateException("reserved bitmask encoding (all ones)");
        }
        long welem = (1L << (s + 1)) - 1;
        long emask = esize == 64 ? -1L : (1L << esize) - 1;
        long rotated = r == 0 ? welem : ((welem >>> r) | (welem << (esize - r))) & emask;
        long out = 0;
        for (int i = 0; i < 64; i += esize) {
            out |= rotated << i;
        }
        return out;
    }
}
