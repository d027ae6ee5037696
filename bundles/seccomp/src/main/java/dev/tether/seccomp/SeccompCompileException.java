package dev.tether.seccomp;

/** A policy that cannot be compiled into a seccomp program (for example, one that is too large). */
public class SeccompCompileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the limit and the largest contributors */
    public SeccompCompileException(String message) {
        super(message);
    }
}
