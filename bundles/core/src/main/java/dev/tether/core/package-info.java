/**
 * The platform: stub placement, creation (gVisor's createStub/attachedThread/probeSeccomp),
 * attach, syscall injection and teardown.
 *
 * <h2>Threads (DESIGN rule 4)</h2>
 * ptrace binds a tracee to the OS thread that attached it, PDEATHSIG fires when the thread that
 * cloned a stub exits, and PTRACE_O_EXITKILL kills tracees when their tracer exits. So every stub
 * is owned by one {@link dev.tether.core.TracerThread}: a dedicated platform thread that creates
 * the stub, attaches it and makes every later ptrace/wait4 call on it. Public entry points marshal
 * the work to the owner and refuse virtual threads. A tracer thread only ends when the platform
 * closes and it owns no live stub.
 *
 * <h2>Locks</h2>
 * {@code StubPlatformImpl.lock} guards the set of live stubs and the closed flag; it is never held
 * while waiting for a tracer thread. A {@code Tracee}'s state is confined to its owner thread,
 * except its {@code alive} flag and death message, which are volatile.
 */
package dev.tether.core;
