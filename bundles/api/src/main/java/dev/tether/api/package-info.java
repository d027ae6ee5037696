/**
 * What users program against: the {@code StubPlatform} service, stubs, register snapshots and the
 * typed errors ({@link dev.tether.api.SyscallFailedException} for a failed system call, 1.1.0).
 * Implemented by the core bundle.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package dev.tether.api;
