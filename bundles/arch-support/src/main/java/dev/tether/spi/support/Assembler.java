package dev.tether.spi.support;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * The arch-neutral half of a typed machine-code encoder: labels and where they are bound, the
 * list of emitted items, label offsets from item sizes, and the assembled {@link Program} with
 * its listing and its GNU assembler source (for checking against the real tool). A subclass adds
 * the instruction methods, each appending an item of type {@code I} with {@link #add(Object)},
 * and lays the items out in {@link #encode()}: how big each is, how branches reach their labels.
 *
 * <p>Not thread-safe; one instance builds one program.
 *
 * @param <A> the encoder itself, so that {@link #bind(Label)} chains into its instruction methods
 * @param <I> the encoder's item: one instruction, fixed or still to be resolved against labels
 */
@org.osgi.annotation.versioning.ConsumerType
public abstract class Assembler<A extends Assembler<A, I>, I> {
    /** A valid GNU assembler symbol, the only label names accepted. */
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** A position in the program; made by {@link #label(String)}, placed by {@link #bind(Label)}. */
    public static final class Label {
        private final String name;

        private Label(String name) {
            this.name = name;
        }

        /** The label's name, as in the GNU assembler source. */
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * One emitted instruction.
     *
     * @param offset where it starts in the code
     * @param bytes its encoding
     * @param text its GNU assembler text
     */
    public record Line(int offset, byte[] bytes, String text) {
        public Line {
            bytes = bytes.clone();
            Objects.requireNonNull(text, "text");
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    /** The assembled program: its code, one {@link Line} per instruction, and its labels. */
    public static final class Program {
        private final byte[] code;
        private final List<Line> lines;
        private final Map<String, Integer> labels;
        private final String gnuPrologue;
        private final Function<byte[], String> listingCode;

        private Program(byte[] code, List<Line> lines, Map<String, Integer> labels, String gnuPrologue,
                Function<byte[], String> listingCode) {
            this.code = code;
            this.lines = List.copyOf(lines);
            this.labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
            this.gnuPrologue = gnuPrologue;
            this.listingCode = listingCode;
        }

        /** A copy of the machine code. */
        public byte[] code() {
            return code.clone();
        }

        /** Every instruction, in order. */
        public List<Line> lines() {
            return lines;
        }

        /** Label name to offset, in the order the labels were bound. */
        public Map<String, Integer> labels() {
            return labels;
        }

        /**
         * Offset of the label called {@code name}.
         *
         * @throws IllegalArgumentException naming the labels there are when there is no such label
         */
        public int offsetOf(String name) {
            Integer off = labels.get(name);
            if (off == null) {
                throw new IllegalArgumentException("no label " + name + " (have " + labels.keySet() + ")");
            }
            return off;
        }

        /** Offset, code and text of every instruction, with the labels on lines of their own. */
        public String listing() {
            return render("", line -> String.format("  %04x: %s%s%n", line.offset(), listingCode.apply(line.bytes),
                    line.text()));
        }

        /** The program as GNU assembler source, for checking with {@code as}. */
        public String gnuSource() {
            return render(gnuPrologue, line -> "\t" + line.text() + "\n");
        }

        /** {@code head}, then each line as {@code format} writes it, each label before its line. */
        private String render(String head, Function<Line, String> format) {
            Map<Integer, List<String>> byOffset = new HashMap<>();
            labels.forEach((name, off) -> byOffset.computeIfAbsent(off, k -> new ArrayList<>()).add(name));
            StringBuilder sb = new StringBuilder(head);
            for (Line l : lines) {
                for (String name : byOffset.getOrDefault(l.offset(), List.of())) {
                    sb.append(name).append(":\n");
                }
                sb.append(format.apply(l));
            }
            for (String name : byOffset.getOrDefault(code.length, List.of())) {
                sb.append(name).append(":\n");
            }
            return sb.toString();
        }
    }

    private final String gnuPrologue;
    private final Function<byte[], String> listingCode;
    private final List<I> items = new ArrayList<>();
    private final Map<String, Label> labels = new LinkedHashMap<>();
    /** Bound labels and the index of the item each precedes, in binding order (= program order). */
    private final Map<Label, Integer> bound = new LinkedHashMap<>();

    /**
     * @param gnuPrologue the directives that open {@link Program#gnuSource()}, e.g. {@code "\t.text\n"}
     * @param listingCode the code column of {@link Program#listing()} for an instruction's bytes,
     *     with the gap before the text; keep it free of encoder state (a static method)
     */
    protected Assembler(String gnuPrologue, Function<byte[], String> listingCode) {
        this.gnuPrologue = Objects.requireNonNull(gnuPrologue, "gnuPrologue");
        this.listingCode = Objects.requireNonNull(listingCode, "listingCode");
    }

    /** {@code this}, typed as the encoder. */
    protected abstract A self();

    /**
     * A new, unbound label; names are unique and must be valid GNU assembler symbols.
     *
     * @throws IllegalArgumentException for a bad or a repeated name
     */
    public final Label label(String name) {
        if (!LABEL_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad label name \"" + name + "\" (want " + LABEL_NAME + ")");
        }
        if (labels.containsKey(name)) {
            throw new IllegalArgumentException("label " + name + " defined twice");
        }
        Label l = new Label(name);
        labels.put(name, l);
        return l;
    }

    /**
     * Places {@code label} at the current position.
     *
     * @throws IllegalArgumentException when the label is bound already or was made by another
     *     assembler
     */
    public final A bind(Label label) {
        if (labels.get(label.name) != label) {
            throw new IllegalArgumentException("label " + label.name + " belongs to another assembler");
        }
        if (bound.containsKey(label)) {
            throw new IllegalArgumentException("label " + label.name + " bound twice");
        }
        bound.put(label, items.size());
        return self();
    }

    /** Appends one instruction. */
    protected final A add(I item) {
        items.add(Objects.requireNonNull(item, "item"));
        return self();
    }

    /** The instructions appended so far, in order (a read-only view). */
    protected final List<I> items() {
        return Collections.unmodifiableList(items);
    }

    /**
     * The offset of every bound label when each item takes {@code size} bytes; labels that are
     * not bound are absent.
     */
    protected final Map<Label, Integer> labelOffsets(ToIntFunction<? super I> size) {
        int[] start = new int[items.size() + 1];
        for (int i = 0; i < items.size(); i++) {
            start[i + 1] = start[i] + size.applyAsInt(items.get(i));
        }
        Map<Label, Integer> offsets = new HashMap<>();
        bound.forEach((label, index) -> offsets.put(label, start[index]));
        return offsets;
    }

    /**
     * Lays out and encodes every item: one byte array per item of {@link #items()}, in order.
     *
     * @throws IllegalStateException naming a branch whose label is never bound or out of reach
     */
    protected abstract List<byte[]> encode();

    /** The GNU assembler text of {@code item} (labels by name). */
    protected abstract String text(I item);

    /**
     * Lays out the program and emits it.
     *
     * @throws IllegalStateException naming a branch whose label is never bound or out of reach
     */
    public final Program assemble() {
        List<byte[]> encoded = encode();
        if (encoded.size() != items.size()) {
            throw new IllegalStateException(getClass().getSimpleName() + " encoded " + encoded.size() + " of "
                    + items.size() + " instructions");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Line> lines = new ArrayList<>();
        int[] start = new int[items.size() + 1];
        for (int i = 0; i < items.size(); i++) {
            start[i] = out.size();
            lines.add(new Line(start[i], encoded.get(i), text(items.get(i))));
            out.writeBytes(encoded.get(i));
        }
        start[items.size()] = out.size();
        Map<String, Integer> labelOffsets = new LinkedHashMap<>();
        bound.forEach((label, index) -> labelOffsets.put(label.name, start[index]));
        return new Program(out.toByteArray(), lines, labelOffsets, gnuPrologue, listingCode);
    }
}
