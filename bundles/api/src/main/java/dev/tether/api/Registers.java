package dev.tether.api;

import java.util.List;

/**
 * A snapshot of a stub thread's general-purpose registers: the NT_PRSTATUS words in kernel order,
 * with the layout's field names. Immutable; {@link #with(int, long)} returns a modified copy.
 */
public final class Registers {
    private final String arch;
    private final List<String> names;
    private final long[] words;

    public Registers(String arch, List<String> names, long[] words) {
        if (names.size() != words.length) {
            throw new IllegalArgumentException(arch + " registers: " + names.size() + " names but " + words.length + " words");
        }
        this.arch = arch;
        this.names = List.copyOf(names);
        this.words = words.clone();
    }

    public String arch() { return arch; }

    public List<String> names() { return names; }

    public int size() { return words.length; }

    public long get(int index) { return words[index]; }

    /** The word named {@code name} (e.g. {@code rip}, {@code x8}). */
    public long get(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no register " + name + " on " + arch + " (have " + names + ")");
        }
        return words[i];
    }

    /** A copy with word {@code index} set to {@code value}. */
    public Registers with(int index, long value) {
        long[] w = words.clone();
        w[index] = value;
        return new Registers(arch, names, w);
    }

    /** A copy of the raw words. */
    public long[] words() { return words.clone(); }

    /** A readable dump, four registers per line. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words.length; i++) {
            sb.append(String.format("%-8s %016x", names.get(i), words[i]));
            sb.append(i % 4 == 3 || i == words.length - 1 ? "\n" : "   ");
        }
        return sb.toString();
    }
}
