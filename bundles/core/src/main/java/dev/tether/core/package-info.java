/**
 * The platform: stub placement, creation (gVisor's createStub/attachedThread/probeSeccomp),
 * attach, syscall injection and teardown, in rooms with one job each (docs/architecture.md):
 * {@link dev.tether.core.StubPlatformImpl} wires {@code StubImage} (the code in the JVM),
 * {@code Tracers}, {@code Spawner} (stubs from the JVM), {@code StubFilters}, {@code Forker} (the
 * master and forks from it) and {@code SubprocessPool}; stubs and subprocesses see only a
 * {@code PlatformContext}.
 *
 * <h2>Threads (docs/architecture.md, section 4)</h2>
 * ptrace binds a tracee to the OS thread that attached it, PDEATHSIG fires when the thread that
 * cloned a stub exits, and PTRACE_O_EXITKILL kills tracees when their tracer exits. So every
 * stub is owned by one {@link dev.tether.core.TracerThread}: a dedicated platform thread that creates
 * the stub, attaches it and makes every later ptrace/wait4 call on it. Public entry points marshal
 * the work to the owner and refuse virtual threads. A tracer thread only ends when the platform
 * closes and it owns no live stub. A subprocess's other stub threads are traced by the platform
 * threads that call it, one each.
 *
 * <h2>Locks</h2>
 * In this order, never the reverse: the platform's lock (the stubs made from the JVM, the closed
 * flag), then the forker's (creating or replacing the master), then the filter cache's. The
 * pool's lock (its subprocesses, the pre-forker's wake-ups) is also taken under the platform's,
 * at close, and nothing else is taken under it. The forker's lock is held while tracer thread 0
 * creates the master, so nothing that runs on a tracer thread may take the platform's or the
 * forker's lock. A {@code Tracee}'s state is confined to its tracer thread, except its
 * {@code alive} flag and death message, which are volatile.
 */
package dev.tether.core;
