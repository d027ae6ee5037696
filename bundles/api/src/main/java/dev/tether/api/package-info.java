/**
 * What users program against: the {@code StubPlatform} service, stubs, register snapshots and the
 * typed errors ({@link dev.tether.api.SyscallFailedException} for a failed system call).
 * Implemented by the core bundle.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package dev.tether.api;
