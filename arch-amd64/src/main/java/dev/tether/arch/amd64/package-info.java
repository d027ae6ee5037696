/** x86-64: register layout, stub machine code, seccomp contribution and syscall table. */
@org.osgi.annotation.bundle.Requirement(namespace = "osgi.native", filter = "(osgi.native.processor=x86-64)")
package dev.tether.arch.amd64;
