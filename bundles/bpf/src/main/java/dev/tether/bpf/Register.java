package dev.tether.bpf;

/** The two registers of the classic BPF machine. */
public enum Register {
    /** The accumulator. */
    A,
    /** The index register. */
    X
}
