package dev.tether.api;

/**
 * A call came from a thread that may not make it: ptrace binds a tracee to the OS thread that
 * attached it, so Tether refuses calls from virtual threads (which migrate between carriers) and
 * runs every ptrace call on the stub's owning tracer thread (docs/architecture.md, section 4).
 */
public class WrongThreadException extends TetherException {
    private static final long serialVersionUID = 1L;

    public WrongThreadException(String message) {
        super(message);
    }
}
