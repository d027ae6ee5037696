package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;

import dev.tether.bpf.BpfException.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An assembler for classic BPF with named labels (the job of gVisor's
 * {@code bpf.ProgramBuilder}, pkg/bpf/program_builder.go), without its 255-instruction limit on conditional jumps.
 *
 * <p>Jumps only go forward, as in the kernel: a label must be referenced before it is placed, and
 * referring to a label that is already placed is an error ("backward reference"), as are placing
 * a label twice, a label that is referenced but never placed, and a referenced label after the
 * last instruction. Unreferenced labels are fine, and several labels may mark one instruction.
 *
 * <p>Numeric jump offsets given to {@link #jump(int, int, int, int)} or {@link #add(Instruction)}
 * count instructions added to this builder, so they keep their meaning when trampolines are
 * inserted.
 *
 * <p><b>Trampolines.</b> A conditional jump reaches at most 255 instructions. When a target is
 * further away, {@link #build()} inserts a trampoline right after the jump and points the jump at
 * it: a copy of the target when the target is a RET (no extra instruction executed), otherwise a
 * {@code JA} (32-bit reach, one extra instruction on that path). Inserting trampolines can push
 * other jumps out of reach; layout repeats until every jump fits.
 */
public final class ProgramBuilder {
    /** A jump target: a label name, or an index into {@link #items}. */
    private record Target(String label, int item) {
        static Target label(String name) { return new Target(name, -1); }
        static Target item(int i) { return new Target(null, i); }
    }

    private static final class Item {
        final int code;
        final int k;
        final Target t;  // JA: its target; conditional: true target; else null
        final Target f;  // conditional: false target
        int tItem;
        int fItem;
        boolean trampT;
        boolean trampF;

        Item(int code, int k, Target t, Target f) {
            this.code = code;
            this.k = k;
            this.t = t;
            this.f = f;
        }
    }

    private final List<Item> items = new ArrayList<>();
    /** Placed labels: name -> index of the next instruction added after placing it. */
    private final Map<String, Integer> placed = new HashMap<>();
    /** Referenced labels: name -> index of the first instruction that refers to it. */
    private final Map<String, Integer> referenced = new HashMap<>();

    /** Number of instructions added so far (not counting trampolines). */
    public int size() {
        return items.size();
    }

    /**
     * Adds a non-jump instruction ({@code BPF_STMT(code, k)}).
     *
     * @throws BpfException (LABEL) if {@code code} is a jump (use the jump methods)
     */
    public ProgramBuilder stmt(int code, int k) {
        if (classOf(code) == BPF_JMP) {
            throw new BpfException(Kind.LABEL, items.size(), String.format("opcode 0x%04x is a jump; use jump()", code));
        }
        items.add(new Item(code, k, null, null));
        return this;
    }

    /**
     * Adds a jump with numeric offsets, counted in instructions of this builder: {@code JA}
     * jumps over {@code k} instructions (jt/jf ignored); a conditional jump over {@code jt} or
     * {@code jf}.
     */
    public ProgramBuilder jump(int code, int k, int jt, int jf) {
        int i = items.size();
        if (code == (BPF_JMP | BPF_JA)) {
            items.add(new Item(code, k, Target.item(checkedItem(i, Integer.toUnsignedLong(k))), null));
        } else if (isConditionalJump(code)) {
            items.add(new Item(code, k, Target.item(checkedItem(i, jt)), Target.item(checkedItem(i, jf))));
        } else {
            throw new BpfException(Kind.LABEL, i, String.format("opcode 0x%04x is not a jump", code));
        }
        return this;
    }

    private static int checkedItem(int i, long offset) {
        long t = i + 1 + offset;
        if (offset < 0 || t > Integer.MAX_VALUE) {
            throw new BpfException(Kind.INVALID_JUMP, i, "jump offset " + offset + " is out of range");
        }
        return (int) t;
    }

    /** Adds a typed instruction (jumps keep their numeric offsets). */
    public ProgramBuilder add(Instruction insn) {
        SockFilter f = insn.assemble();
        if (classOf(f.code()) == BPF_JMP) {
            return jump(f.code(), f.k(), f.jt(), f.jf());
        }
        return stmt(f.code(), f.k());
    }

    /** Adds all typed instructions. */
    public ProgramBuilder addAll(List<? extends Instruction> insns) {
        for (Instruction i : insns) {
            add(i);
        }
        return this;
    }

    /**
     * Places {@code name} at the next instruction added.
     *
     * @throws BpfException (LABEL) if the label is already placed
     */
    public ProgramBuilder label(String name) {
        if (placed.containsKey(name)) {
            throw new BpfException(Kind.LABEL, items.size(), "label \"" + name + "\" is placed twice (first before instruction "
                    + placed.get(name) + ")");
        }
        placed.put(name, items.size());
        return this;
    }

    /** Whether {@code name} has been placed. */
    public boolean isPlaced(String name) {
        return placed.containsKey(name);
    }

    /** {@code JA} to {@code label}. */
    public ProgramBuilder jumpTo(String label) {
        Target t = reference(label);
        items.add(new Item(BPF_JMP | BPF_JA, 0, t, null));
        return this;
    }

    /**
     * {@code JMP|cond|K} with labelled targets; a null label means the next instruction.
     */
    public ProgramBuilder jumpIf(JumpCondition cond, int k, String trueLabel, String falseLabel) {
        return jump(BPF_JMP | cond.bits() | BPF_K, k, trueLabel, falseLabel);
    }

    /** {@code JMP|cond|K} to {@code trueLabel}, else {@code jf} instructions ahead. */
    public ProgramBuilder jumpIf(JumpCondition cond, int k, String trueLabel, int jf) {
        int i = items.size();
        Target t = reference(trueLabel);
        items.add(new Item(BPF_JMP | cond.bits() | BPF_K, k, t, Target.item(checkedItem(i, jf))));
        return this;
    }

    /** {@code JMP|cond|K} to {@code jt} instructions ahead, else {@code falseLabel}. */
    public ProgramBuilder jumpIf(JumpCondition cond, int k, int jt, String falseLabel) {
        int i = items.size();
        Target f = reference(falseLabel);
        items.add(new Item(BPF_JMP | cond.bits() | BPF_K, k, Target.item(checkedItem(i, jt)), f));
        return this;
    }

    /** {@code JMP|cond|X} with labelled targets; a null label means the next instruction. */
    public ProgramBuilder jumpIfX(JumpCondition cond, String trueLabel, String falseLabel) {
        return jump(BPF_JMP | cond.bits() | BPF_X, 0, trueLabel, falseLabel);
    }

    /** A conditional jump given by its raw opcode, with labelled targets (null = next instruction). */
    public ProgramBuilder jump(int code, int k, String trueLabel, String falseLabel) {
        if (!isConditionalJump(code)) {
            throw new BpfException(Kind.LABEL, items.size(), String.format("opcode 0x%04x is not a conditional jump", code));
        }
        int i = items.size();
        Target t = trueLabel == null ? Target.item(i + 1) : reference(trueLabel);
        Target f = falseLabel == null ? Target.item(i + 1) : reference(falseLabel);
        items.add(new Item(code, k, t, f));
        return this;
    }

    private Target reference(String label) {
        if (label == null) {
            throw new BpfException(Kind.LABEL, items.size(), "null label");
        }
        if (placed.containsKey(label)) {
            throw new BpfException(Kind.LABEL, items.size(), "backward reference to label \"" + label
                    + "\" (placed before instruction " + placed.get(label) + "); jumps only go forward");
        }
        referenced.putIfAbsent(label, items.size());
        return Target.label(label);
    }

    /**
     * Resolves the labels, inserts trampolines where needed and returns the program. The
     * builder is not changed, so calling it again gives the same program.
     *
     * @throws BpfException (LABEL) for a label never placed or placed after the last
     *         instruction, (INVALID_JUMP) for a numeric jump past the end
     */
    public Program build() {
        int n = items.size();
        for (int i = 0; i < n; i++) {
            Item it = items.get(i);
            it.trampT = false;
            it.trampF = false;
            if (it.t != null) {
                it.tItem = resolve(it.t, i);
            }
            if (it.f != null) {
                it.fItem = resolve(it.f, i);
            }
        }
        int[] pos = new int[n + 1];
        boolean changed = true;
        while (changed) {
            changed = false;
            layout(pos);
            for (int i = 0; i < n; i++) {
                Item it = items.get(i);
                if (!isConditionalJump(it.code)) {
                    continue;
                }
                if (!it.trampT && pos[it.tItem] - pos[i] - 1 > MAX_CONDITIONAL_JUMP) {
                    it.trampT = true;
                    changed = true;
                }
                if (!it.trampF && pos[it.fItem] - pos[i] - 1 > MAX_CONDITIONAL_JUMP) {
                    it.trampF = true;
                    changed = true;
                }
            }
        }
        List<SockFilter> out = new ArrayList<>(pos[n]);
        for (int i = 0; i < n; i++) {
            Item it = items.get(i);
            int p = pos[i];
            if (it.code == (BPF_JMP | BPF_JA)) {
                out.add(SockFilter.stmt(it.code, pos[it.tItem] - p - 1));
            } else if (isConditionalJump(it.code)) {
                boolean shared = it.trampT && it.trampF && it.tItem == it.fItem;
                int jt = it.trampT ? 0 : pos[it.tItem] - p - 1;
                int jf = it.trampF ? (it.trampT && !shared ? 1 : 0) : pos[it.fItem] - p - 1;
                out.add(SockFilter.jump(it.code, it.k, jt, jf));
                if (it.trampT) {
                    out.add(trampoline(it.tItem, pos, p + 1));
                }
                if (it.trampF && !shared) {
                    out.add(trampoline(it.fItem, pos, out.size()));
                }
            } else {
                out.add(SockFilter.stmt(it.code, it.k));
            }
        }
        return Program.of(out);
    }

    private SockFilter trampoline(int targetItem, int[] pos, int at) {
        Item target = items.get(targetItem);
        if (isReturn(target.code)) {
            return SockFilter.stmt(target.code, target.k);
        }
        return SockFilter.stmt(BPF_JMP | BPF_JA, pos[targetItem] - at - 1);
    }

    private void layout(int[] pos) {
        int p = 0;
        for (int i = 0; i < items.size(); i++) {
            pos[i] = p;
            Item it = items.get(i);
            boolean shared = it.trampT && it.trampF && it.tItem == it.fItem;
            p += 1 + (it.trampT ? 1 : 0) + (it.trampF && !shared ? 1 : 0);
        }
        pos[items.size()] = p;
    }

    private int resolve(Target t, int from) {
        int n = items.size();
        if (t.label() == null) {
            if (t.item() >= n) {
                throw new BpfException(Kind.INVALID_JUMP, from, "jump target " + t.item() + " is past the last instruction (" + (n - 1) + ")");
            }
            return t.item();
        }
        Integer at = placed.get(t.label());
        if (at == null) {
            throw new BpfException(Kind.LABEL, from, "label \"" + t.label() + "\" is referenced but never placed");
        }
        if (at >= n) {
            throw new BpfException(Kind.LABEL, from, "label \"" + t.label() + "\" is placed after the last instruction");
        }
        return at;
    }
}
