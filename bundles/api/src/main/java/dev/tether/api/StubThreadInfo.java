package dev.tether.api;

/**
 * One stub thread of a subprocess.
 *
 * @param tid the stub thread's id
 * @param tracer the name of the JVM thread that traces it
 * @param tracerTid the OS thread id of that JVM thread
 */
public record StubThreadInfo(int tid, String tracer, int tracerTid) {
}
