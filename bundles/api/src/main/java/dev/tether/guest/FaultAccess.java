package dev.tether.guest;

/**
 * The access that caused a memory fault, as far as it can be told. ptrace gives no fault flags, so on
 * amd64 this is a guess (gVisor's {@code ptrace.Context.Switch} guesses execute when the faulting
 * address equals the IP, else read/write from nothing): {@link #UNKNOWN} means "read or write".
 */
public enum FaultAccess {
    READ, WRITE, EXECUTE, UNKNOWN
}
