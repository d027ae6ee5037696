package dev.tether.api;

/** What a dead stub means for the host (docs/architecture.md, section 6). */
public enum FailureMode {
    /**
     * The default: stubs are cloned with exit signal 0, so a dying stub does not signal its
     * parent; it becomes a typed error ({@link StubDiedException}) and teardown kills and reaps
     * everything.
     */
    CONTAINED,
    /**
     * gVisor's semantics ({@code createStub} in subprocess_linux.go): stubs are cloned with exit signal SIGKILL, so a dying stub kills its
     * parent and, transitively, the host JVM. Teardown is refused, because it would kill the JVM.
     */
    FAIL_STOP
}
