/**
 * What a guest platform other than core's ptrace one needs from the stub platform (the trap bundle,
 * docs/trap.md): stub threads that are made and set up under ptrace and then leave it, to run guest
 * code untraced (gVisor's systrap {@code sysmsgThread}, "a sysmsg stub thread which isn't traced",
 * {@code pkg/sentry/platform/systrap/sysmsg_thread.go}). Provided by the core bundle as the OSGi
 * service {@link dev.tether.guest.spi.StubThreads}. {@link dev.tether.guest.spi.SyscallEvents} is the
 * per-context cache of Syscall events that both guest platforms use, {@link
 * dev.tether.guest.spi.RegisterWordsContext} the register half of their contexts. Not for
 * applications. 0.4.0 added RegisterWordsContext.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.4.0")
package dev.tether.guest.spi;
