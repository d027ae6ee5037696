package dev.tether.seccomp;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Test-only re-implementation of gVisor's 2021 seccomp generator (pkg/seccomp BuildProgram and
 * pkg/bpf ProgramBuilder, pkg/seccomp/seccomp.go and pkg/bpf/program_builder.go at commit
 * b8a5420f49a2, 2021-03-02), including its vsyscall quirk (a blanket {@code Vsyscall} rule set
 * whose IP check fails falls through into the next node's code), the "unreachable action" build error and the 255-instruction limit of
 * labelled conditional jumps. It is the baseline the compiler's efficiency is measured against.
 */
final class GvisorGenerator2021 {
    private GvisorGenerator2021() {
    }

    /** BuildProgram's or Instructions()'s error. */
    static final class BuildError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BuildError(String m) {
            super(m);
        }
    }

    // seccomp_data offsets (include/uapi/linux/seccomp.h, struct seccomp_data).
    private static final int OFF_NR = 0;
    private static final int OFF_ARCH = 4;
    private static final int OFF_IP_LO = 8;
    private static final int OFF_IP_HI = 12;
    private static final String DEFAULT_LABEL = "default_action";

    private static final int LD_ABS_W = Bpf.BPF_LD | Bpf.BPF_ABS | Bpf.BPF_W;
    private static final int JA = Bpf.BPF_JMP | Bpf.BPF_JA;
    private static final int JEQ = Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K;
    private static final int JGT = Bpf.BPF_JMP | Bpf.BPF_JGT | Bpf.BPF_K;
    private static final int JGE = Bpf.BPF_JMP | Bpf.BPF_JGE | Bpf.BPF_K;
    private static final int JSET = Bpf.BPF_JMP | Bpf.BPF_JSET | Bpf.BPF_K;
    private static final int AND = Bpf.BPF_ALU | Bpf.BPF_AND | Bpf.BPF_K;
    private static final int RET = Bpf.BPF_RET | Bpf.BPF_K;

    /** gVisor's BuildProgram(rules, defaultAction, badArchAction) for LINUX_AUDIT_ARCH = auditArch. */
    static Program build(Policy policy, int auditArch) {
        Builder p = new Builder();
        p.addStmt(LD_ABS_W, OFF_ARCH);
        p.addJump(JEQ, auditArch, 1, 0);
        p.addStmt(RET, policy.badArchAction().value());
        buildIndex(policy.ruleSets(), p);
        p.addLabel(DEFAULT_LABEL);
        p.addStmt(RET, policy.defaultAction().value());
        return p.instructions();
    }

    private record Node(int value, Node left, Node right) {
        String label() {
            return "index_" + value;
        }
    }

    private static String label(Node n) {
        return n == null ? DEFAULT_LABEL : n.label();
    }

    private static Node createBST(List<Integer> s) {
        int i = s.size() / 2;
        Node left = i > 0 ? createBST(s.subList(0, i)) : null;
        Node right = i + 1 < s.size() ? createBST(s.subList(i + 1, s.size())) : null;
        return new Node(s.get(i), left, right);
    }

    private static void buildIndex(List<RuleSet> rules, Builder p) {
        if (rules.isEmpty()) {
            return;
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (RuleSet rs : rules) {
            for (SyscallRule s : rs.syscalls()) {
                set.add(s.nr());
            }
        }
        if (set.isEmpty()) {
            return; // REF would panic in createBST; such policies are not compared
        }
        Node root = createBST(new ArrayList<>(set));
        p.addStmt(LD_ABS_W, OFF_NR);
        traverse(root, true, rules, p);
    }

    private static void traverse(Node n, boolean root, List<RuleSet> rules, Builder p) {
        if (n == null) {
            return;
        }
        buildBSTProgram(n, root, rules, p);
        traverse(n.left(), false, rules, p);
        traverse(n.right(), false, rules, p);
    }

    private static void buildBSTProgram(Node n, boolean root, List<RuleSet> rules, Builder p) {
        if (!root) {
            p.addLabel(n.label());
        }
        int sysno = n.value();
        String checkArgs = "checkArgs_" + sysno;
        p.addJumpTrueLabel(JEQ, sysno, checkArgs, 0);
        if (n.left() == null && n.right() == null) {
            p.addDirectJumpLabel(DEFAULT_LABEL);
        } else {
            p.addJump(JGT, sysno, 0, 1);
            p.addDirectJumpLabel(label(n.right()));
            p.addDirectJumpLabel(label(n.left()));
        }
        p.addLabel(checkArgs);
        boolean emitted = false;
        for (int i = 0; i < rules.size(); i++) {
            RuleSet rs = rules.get(i);
            SyscallRule s = rs.find(sysno);
            if (s == null) {
                continue;
            }
            if (emitted) {
                throw new BuildError("unreachable action for " + sysno + ": 0x" + Integer.toHexString(rs.action().value())
                        + " (rule set " + i + ")");
            }
            String vsyscallViolation = "vsyscallViolation_" + i + "_" + sysno;
            if (rs.vsyscall()) {
                p.addStmt(LD_ABS_W, OFF_IP_HI);
                p.addJumpFalseLabel(JSET, 0x80000000, 0, vsyscallViolation);
            }
            addSyscallArgsCheck(p, s, rs.action().value(), i, sysno);
            if (s.matchAll()) {
                emitted = true; // the vsyscall quirk: set even when the vsyscall check can fail
            }
            if (rs.vsyscall()) {
                p.addLabel(vsyscallViolation);
            }
        }
        if (!emitted) {
            p.addDirectJumpLabel(DEFAULT_LABEL);
        }
    }

    private static void addSyscallArgsCheck(Builder p, SyscallRule s, int action, int setIdx, int sysno) {
        if (s.matchAll()) {
            p.addStmt(RET, action);
            return;
        }
        for (int ruleIdx = 0; ruleIdx < s.anyOf().size(); ruleIdx++) {
            Rule rule = s.anyOf().get(ruleIdx);
            boolean labelled = false;
            String viol = "ruleViolation_" + setIdx + "_" + sysno + "_" + ruleIdx;
            for (int slot = 0; slot <= Rule.MAX_ARGS; slot++) {
                Matcher m = slot < Rule.MAX_ARGS ? rule.args().get(slot) : rule.ip();
                if (m instanceof Matcher.Any) {
                    continue;
                }
                int lo = slot < Rule.MAX_ARGS ? SeccompData.argLow(slot) : OFF_IP_LO;
                int hi = slot < Rule.MAX_ARGS ? SeccompData.argHigh(slot) : OFF_IP_HI;
                String good = "rule_" + setIdx + "_" + sysno + "_" + ruleIdx + "_";
                if (m instanceof Matcher.Eq e) {
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpFalseLabel(JEQ, (int) e.value(), 0, viol);
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpFalseLabel(JEQ, (int) (e.value() >>> 32), 0, viol);
                } else if (m instanceof Matcher.Ne e) {
                    good += "ne" + slot;
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpFalseLabel(JEQ, (int) e.value(), 0, good);
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpTrueLabel(JEQ, (int) (e.value() >>> 32), viol, 0);
                    p.addLabel(good);
                } else if (m instanceof Matcher.Gt e) {
                    good += "gt" + slot;
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpFalseLabel(JGE, (int) (e.value() >>> 32), 0, viol);
                    p.addJumpFalseLabel(JEQ, (int) (e.value() >>> 32), 0, good);
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpFalseLabel(JGT, (int) e.value(), 0, viol);
                    p.addLabel(good);
                } else if (m instanceof Matcher.Ge e) {
                    good += "ge" + slot;
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpFalseLabel(JGE, (int) (e.value() >>> 32), 0, viol);
                    p.addJumpFalseLabel(JEQ, (int) (e.value() >>> 32), 0, good);
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpFalseLabel(JGE, (int) e.value(), 0, viol);
                    p.addLabel(good);
                } else if (m instanceof Matcher.Lt e) {
                    good += "lt" + slot;
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpTrueLabel(JGT, (int) (e.value() >>> 32), viol, 0);
                    p.addJumpFalseLabel(JEQ, (int) (e.value() >>> 32), 0, good);
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpTrueLabel(JGE, (int) e.value(), viol, 0);
                    p.addLabel(good);
                } else if (m instanceof Matcher.Le e) {
                    good += "le" + slot;
                    p.addStmt(LD_ABS_W, hi);
                    p.addJumpTrueLabel(JGT, (int) (e.value() >>> 32), viol, 0);
                    p.addJumpFalseLabel(JEQ, (int) (e.value() >>> 32), 0, good);
                    p.addStmt(LD_ABS_W, lo);
                    p.addJumpTrueLabel(JGT, (int) e.value(), viol, 0);
                    p.addLabel(good);
                } else {
                    Matcher.MaskedEq me = (Matcher.MaskedEq) m;
                    p.addStmt(LD_ABS_W, lo);
                    p.addStmt(AND, (int) me.mask());
                    p.addJumpFalseLabel(JEQ, (int) me.value(), 0, viol);
                    p.addStmt(LD_ABS_W, hi);
                    p.addStmt(AND, (int) (me.mask() >>> 32));
                    p.addJumpFalseLabel(JEQ, (int) (me.value() >>> 32), 0, viol);
                }
                labelled = true;
            }
            p.addStmt(RET, action);
            if (labelled) {
                p.addLabel(viol);
            }
        }
    }

    /** pkg/bpf ProgramBuilder (program_builder.go): placeholders, then resolution in Instructions(). */
    private static final class Builder {
        private static final int LABEL_TARGET = 0xff;
        private static final int LABEL_DIRECT_TARGET = 0xffffffff;

        private enum JumpType { DIRECT, TRUE, FALSE }

        private record Source(JumpType type, int line) {
        }

        private static final class Label {
            final List<Source> sources = new ArrayList<>();
            int target = -1;
        }

        private final List<int[]> insns = new ArrayList<>();
        private final Map<String, Label> labels = new HashMap<>();
        private final Set<String> unusable = new HashSet<>();

        void addStmt(int code, int k) {
            insns.add(new int[] {code, 0, 0, k});
        }

        void addJump(int code, int k, int jt, int jf) {
            insns.add(new int[] {code, jt, jf, k});
        }

        void addDirectJumpLabel(String name) {
            source(name, JumpType.DIRECT);
            addStmt(JA, LABEL_DIRECT_TARGET);
        }

        void addJumpTrueLabel(int code, int k, String name, int jf) {
            source(name, JumpType.TRUE);
            addJump(code, k, LABEL_TARGET, jf);
        }

        void addJumpFalseLabel(int code, int k, int jt, String name) {
            source(name, JumpType.FALSE);
            addJump(code, k, jt, LABEL_TARGET);
        }

        private void source(String name, JumpType t) {
            labels.computeIfAbsent(name, n -> new Label()).sources.add(new Source(t, insns.size()));
        }

        void addLabel(String name) {
            Label l = labels.get(name);
            if (l == null) {
                if (!unusable.add(name)) {
                    throw new BuildError("label \"" + name + "\" already set");
                }
                return;
            }
            if (l.target != -1) {
                throw new BuildError("label \"" + name + "\" target already set: " + l.target);
            }
            l.target = insns.size();
        }

        Program instructions() {
            for (Map.Entry<String, Label> e : labels.entrySet()) {
                String key = e.getKey();
                Label v = e.getValue();
                if (unusable.contains(key)) {
                    throw new BuildError("label \"" + key + "\" used, but it was set before referenced (backwards jump)");
                }
                if (v.target == -1) {
                    throw new BuildError("label target not set: " + key);
                }
                if (v.target >= insns.size()) {
                    throw new BuildError("target is beyond end of ProgramBuilder");
                }
                for (Source s : v.sources) {
                    int[] inst = insns.get(s.line());
                    if (s.line() >= v.target) {
                        throw new BuildError("cannot jump backwards");
                    }
                    int offset = v.target - s.line() - 1;
                    switch (s.type()) {
                        case DIRECT:
                            if (inst[3] != LABEL_DIRECT_TARGET) {
                                throw new BuildError("jump target is not a label");
                            }
                            inst[3] = offset;
                            break;
                        case TRUE:
                            if (offset > LABEL_TARGET) {
                                throw new BuildError("jump offset to label '" + key + "' is too large: " + offset);
                            }
                            if (inst[1] != LABEL_TARGET) {
                                throw new BuildError("jump target is not a label");
                            }
                            inst[1] = offset;
                            break;
                        default:
                            if (offset > LABEL_TARGET) {
                                throw new BuildError("jump offset to label '" + key + "' is too large: " + offset);
                            }
                            if (inst[2] != LABEL_TARGET) {
                                throw new BuildError("jump target is not a label");
                            }
                            inst[2] = offset;
                            break;
                    }
                }
            }
            List<SockFilter> out = new ArrayList<>();
            for (int[] i : insns) {
                out.add(new SockFilter(i[0], i[1], i[2], i[3]));
            }
            return Program.of(out);
        }
    }

    /**
     * Whether {@code d} takes the vsyscall quirk's path in gVisor's program: the first rule set that can
     * decide for the syscall is a vsyscall "any arguments" set whose IP check fails, so
     * execution falls through into unrelated code.
     */
    static boolean hitsVsyscallQuirk(Policy policy, SeccompData d, int auditArch) {
        if (d.arch() != auditArch) {
            return false;
        }
        for (RuleSet rs : policy.ruleSets()) {
            SyscallRule s = rs.find(d.nr());
            if (s == null) {
                continue;
            }
            boolean ipOk = !rs.vsyscall() || d.instructionPointer() < 0;
            if (!ipOk) {
                if (s.matchAll()) {
                    return true;
                }
                continue;
            }
            if (s.test(d.argsArray(), d.instructionPointer())) {
                return false;
            }
        }
        return false;
    }
}
