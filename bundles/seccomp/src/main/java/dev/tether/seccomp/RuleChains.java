package dev.tether.seccomp;

import dev.tether.bpf.JumpCondition;
import dev.tether.seccomp.Dag.Node;
import dev.tether.seccomp.Dag.Ret;
import java.util.List;

/**
 * Policy to decision DAG for one syscall number: its rule sets in order, each rule as tests on
 * 32-bit halves of {@code struct seccomp_data} (the instruction sequences of gVisor's generator,
 * pkg/seccomp/seccomp.go {@code addSyscallArgsCheck}, minus what is redundant).
 */
final class RuleChains {
    /** seccomp_data offsets of the instruction pointer's halves (include/uapi/linux/seccomp.h). */
    private static final int IP_LO = SeccompData.OFFSET_IP;
    private static final int IP_HI = SeccompData.OFFSET_IP + 4;
    /** The kernel's vsyscall page is in the top half of the address space: IP bit 63. */
    private static final int IP_HI_BIT63 = 0x80000000;
    /** Not an offset: a word that reads as 0 (the high word of a 32-bit ABI's argument); tests on it fold. */
    private static final int ZERO_WORD = -1;

    private RuleChains() {
    }

    /**
     * The chain for {@code nr}: its rule sets in order, each falling through to the next (or
     * to {@code defaultRet}) when it does not match. Built back to front.
     *
     * @param args32 a 32-bit ABI (i386, arm, x32): argument tests read the low words only, as
     *     libseccomp does for an arch of {@code ARCH_SIZE_32} (src/db.c {@code _db_rule_gen_32}); the
     *     policy's values are already cut to 32 bits ({@link MultiArchPolicy})
     */
    static Node chain(Policy policy, int nr, Node defaultRet, Dag.Factory f, boolean args32) {
        Node next = defaultRet;
        List<RuleSet> sets = policy.ruleSets();
        for (int i = sets.size() - 1; i >= 0; i--) {
            RuleSet set = sets.get(i);
            SyscallRule s = set.find(nr);
            if (s == null) {
                continue;
            }
            Ret action = f.ret(set.action().value());
            Node body;
            if (s.matchAll()) {
                body = action;
            } else {
                body = next;
                for (int j = s.anyOf().size() - 1; j >= 0; j--) {
                    body = rule(s.anyOf().get(j), action, body, f, args32);
                }
            }
            if (set.vsyscall()) {
                body = f.test(IP_HI, -1, JumpCondition.JSET, IP_HI_BIT63, body, next);
            }
            next = body;
        }
        return next;
    }

    /** All matchers of {@code r} (args 0..5, then the IP, as gVisor orders them). */
    private static Node rule(Rule r, Node success, Node failure, Dag.Factory f, boolean args32) {
        Node n = success;
        n = matcher(r.ip(), IP_LO, IP_HI, n, failure, f);
        for (int i = Rule.MAX_ARGS - 1; i >= 0; i--) {
            n = matcher(r.args().get(i), SeccompData.argLow(i), args32 ? ZERO_WORD : SeccompData.argHigh(i), n, failure, f);
        }
        return n;
    }

    /**
     * One 64-bit matcher as tests on its halves; {@code s} when it holds, {@code x} when not.
     * Mirrors gVisor's instruction sequences minus what is redundant.
     */
    private static Node matcher(Matcher m, int lo, int hi, Node s, Node x, Dag.Factory f) {
        if (m instanceof Matcher.Any) {
            return s;
        }
        if (m instanceof Matcher.MaskedEq me) {
            if ((me.value() & ~me.mask()) != 0) {
                return x; // can never hold
            }
            Node hiPart = maskedWord(hi, (int) (me.mask() >>> 32), (int) (me.value() >>> 32), s, x, f);
            return maskedWord(lo, (int) me.mask(), (int) me.value(), hiPart, x, f);
        }
        long v = value(m);
        int vhi = (int) (v >>> 32);
        int vlo = (int) v;
        JumpCondition eq = JumpCondition.JEQ;
        JumpCondition gt = JumpCondition.JGT;
        JumpCondition ge = JumpCondition.JGE;
        if (m instanceof Matcher.Eq) {
            return f.test(lo, -1, eq, vlo, test(f, hi, -1, eq, vhi, s, x), x);
        }
        if (m instanceof Matcher.Ne) {
            return f.test(lo, -1, eq, vlo, test(f, hi, -1, eq, vhi, x, s), s);
        }
        if (m instanceof Matcher.Gt) {
            if (vlo == -1) {
                return test(f, hi, -1, gt, vhi, s, x); // > 0x..._ffffffff needs a larger high word
            }
            return test(f, hi, -1, ge, vhi, test(f, hi, -1, eq, vhi, f.test(lo, -1, gt, vlo, s, x), s), x);
        }
        if (m instanceof Matcher.Ge) {
            return test(f, hi, -1, ge, vhi, test(f, hi, -1, eq, vhi, f.test(lo, -1, ge, vlo, s, x), s), x);
        }
        if (m instanceof Matcher.Lt) {
            if (vlo == 0) {
                return test(f, hi, -1, ge, vhi, x, s); // < 0x..._00000000 needs a smaller high word
            }
            return test(f, hi, -1, gt, vhi, x, test(f, hi, -1, eq, vhi, f.test(lo, -1, ge, vlo, x, s), s));
        }
        // Le
        return test(f, hi, -1, gt, vhi, x, test(f, hi, -1, eq, vhi, f.test(lo, -1, gt, vlo, x, s), s));
    }

    private static long value(Matcher m) {
        if (m instanceof Matcher.Eq e) {
            return e.value();
        }
        if (m instanceof Matcher.Ne e) {
            return e.value();
        }
        if (m instanceof Matcher.Gt e) {
            return e.value();
        }
        if (m instanceof Matcher.Ge e) {
            return e.value();
        }
        if (m instanceof Matcher.Lt e) {
            return e.value();
        }
        if (m instanceof Matcher.Le e) {
            return e.value();
        }
        throw new IllegalArgumentException("unknown matcher " + m);
    }

    /** {@code (word & mask) == value} on one half. */
    /** {@code f.test(...)}, folded to {@code t} or {@code x} on {@link #ZERO_WORD}. */
    private static Node test(Dag.Factory f, int word, int mask, JumpCondition op, int k, Node t, Node x) {
        if (word != ZERO_WORD) {
            return f.test(word, mask, op, k, t, x);
        }
        // 0 == k and 0 >= k hold for k == 0 only; 0 > k and 0 & k never hold
        boolean holds = (op == JumpCondition.JEQ || op == JumpCondition.JGE) && k == 0;
        return holds ? t : x;
    }

    private static Node maskedWord(int word, int mask, int value, Node s, Node x, Dag.Factory f) {
        if (mask == 0) {
            return s;
        }
        if (word == ZERO_WORD) {
            return value == 0 ? s : x;
        }
        if (value == 0) {
            return f.test(word, -1, JumpCondition.JSET, mask, x, s);
        }
        if (value == mask && Integer.bitCount(mask) == 1) {
            return f.test(word, -1, JumpCondition.JSET, mask, s, x);
        }
        return f.test(word, mask, JumpCondition.JEQ, value, s, x);
    }
}
