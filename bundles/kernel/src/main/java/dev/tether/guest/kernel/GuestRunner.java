package dev.tether.guest.kernel;

import dev.tether.abi.Signals;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads a static program into a fresh guest address space and runs it to its end under
 * {@link MiniLinux}: {@code tether run}'s engine. The run loop is gVisor's {@code Task.run} reduced to
 * one thread: switch into the guest, and on each event emulate the system call, or end with the status
 * a shell would report (a fatal fault: 128 + the signal, with one line naming signal, address and
 * instruction pointer).
 */
public final class GuestRunner {

    /**
     * What to run and with what.
     *
     * @param program the host path of a static executable for the host's arch
     * @param argv the arguments, {@code argv[0]} included
     * @param envp the environment, {@code K=V}
     * @param readOnlyDirs directories the guest may read, each at its own absolute path
     * @param in the guest's fd 0
     * @param out the guest's fd 1
     * @param err the guest's fd 2, and where the runner's own one-line diagnostics go
     * @param trace where each system call is printed strace-style, or null for none
     */
    public record Options(Path program, List<String> argv, List<String> envp, List<Path> readOnlyDirs, InputStream in,
            PrintStream out, PrintStream err, PrintStream trace) {
        public Options {
            Objects.requireNonNull(program, "program");
            argv = List.copyOf(argv);
            envp = List.copyOf(envp);
            readOnlyDirs = List.copyOf(readOnlyDirs);
            Objects.requireNonNull(in, "in");
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(err, "err");
        }

        /** {@code program} with {@code argv[0]} its path, no environment, no directory, the JVM's streams. */
        public static Options of(Path program, String... args) {
            List<String> argv = new java.util.ArrayList<>();
            argv.add(program.toString());
            argv.addAll(List.of(args));
            return new Options(program, argv, List.of(), List.of(), System.in, System.out, System.err, null);
        }
    }

    /** How a guest ended: its exit status and the system calls it made that MiniLinux does not implement. */
    public record Outcome(int status, Map<String, Integer> unknownSyscalls) {
    }

    private final GuestPlatform platform;
    private final MiniLinux kernel;
    private final SyscallTracer tracer;
    private final long limit;
    private final int pageSize;

    /**
     * @param limit the lowest address guests may not use (the platform's stub address)
     * @param pageSize the kernel's page size
     * @throws IllegalArgumentException if the platform, table and ABI are not all of one arch
     */
    public GuestRunner(GuestPlatform platform, SyscallTable table, LinuxAbi abi, long limit, int pageSize) {
        if (!platform.arch().equals(abi.arch())) {
            throw new IllegalArgumentException("guest platform for " + platform.arch() + " with the Linux ABI of " + abi.arch());
        }
        this.platform = platform;
        this.kernel = new MiniLinux(table, abi);
        this.tracer = new SyscallTracer(table, abi);
        this.limit = limit;
        this.pageSize = pageSize;
    }

    /**
     * Runs the program to its end.
     *
     * @throws GuestLoadException if the program cannot be read or loaded (nothing ran)
     * @throws IllegalArgumentException for a read-only directory that is not an existing absolute directory
     */
    public Outcome run(Options o) {
        return run(o, null);
    }

    /**
     * {@link #run(Options)}, telling {@code started} the guest's context just before it first runs (so that
     * another thread may {@link GuestContext#interrupt()} it).
     */
    public Outcome run(Options o, java.util.function.Consumer<GuestContext> started) {
        byte[] image;
        try {
            image = Files.readAllBytes(o.program());
        } catch (IOException e) {
            throw new GuestLoadException(o.program() + ": cannot read the program: " + e.getMessage(), e);
        }
        ElfFile elf = ElfFile.parse(o.program().toString(), image);
        try (GuestAddressSpace space = platform.newAddressSpace()) {
            GuestMemory memory = new SubprocessMemory(space.subprocess(), limit, pageSize);
            int[] credentials = HostFacts.credentials();
            GuestProcess process = kernel.newProcess(memory, o.readOnlyDirs(), o.in(), o.out(), o.err(), credentials);
            try {
                byte[] random = new byte[16];
                new SecureRandom().nextBytes(random);
                long[] hwcaps = HostFacts.hwcaps();
                ProgramSetup setup = new ProgramSetup(o.argv(), o.envp(), o.program().toString(), random, hwcaps[0],
                        hwcaps[1], credentials);
                LoadedProgram loaded = kernel.load(process, memory, elf, setup);
                GuestContext context = space.newContext();
                // One guest thread, switched by this thread only: its FP state may stay in the stub
                // thread between stops (one PTRACE_GETREGSET less per system call); MiniLinux reads
                // it only where a system call needs it, on this thread.
                context.setLazyFloatingPoint(true);
                kernel.abi().startRegisters(context, loaded.entry(), loaded.stackPointer());
                Task task = new Task(context, memory, process, kernel.abi());
                if (started != null) {
                    started.accept(context);
                }
                int status = drive(task, kernel, o.trace() == null ? null : tracer, o.trace(), o.err());
                return new Outcome(status, process.unknownSyscalls());
            } finally {
                process.close();
            }
        }
    }

    /**
     * The run loop: switches into {@code task}'s context until the guest ends, and returns its status.
     *
     * @param tracer formats each system call onto {@code trace}, or null
     * @param diagnostics where the one line about a fatal event goes
     */
    public static int drive(Task task, SyscallHandler handler, SyscallTracer tracer, PrintStream trace,
            PrintStream diagnostics) {
        GuestContext context = task.context();
        while (true) {
            GuestEvent event = context.switchTo();
            if (event instanceof GuestEvent.Syscall call) {
                SyscallResult result = handler.handle(task, call);
                if (tracer != null) {
                    trace.println(tracer.format(task, call, result));
                }
                if (result instanceof SyscallResult.Value v) {
                    context.setSyscallResult(v.value());
                } else if (result instanceof SyscallResult.Exit e) {
                    return e.status();
                }
            } else if (event instanceof GuestEvent.CpuidFault c) {
                if (!task.abi().emulateCpuid(context)) {
                    diagnostics.printf("tether: guest killed by SIGILL: CPUID at ip 0x%x (no emulation on %s)%n", c.ip(),
                            task.abi().arch());
                    return 128 + Signals.SIGILL;
                }
            } else if (event instanceof GuestEvent.Fault f) {
                diagnostics.printf("tether: guest killed by %s (si_code %d) at address 0x%x, ip 0x%x%n",
                        Signals.name(f.signo()), f.code(), f.address(), f.ip());
                return 128 + f.signo();
            } else if (event instanceof GuestEvent.Signal s) {
                diagnostics.printf("tether: guest killed by %s (si_code %d), ip 0x%x%n", Signals.name(s.signo()), s.code(),
                        context.instructionPointer());
                return 128 + s.signo();
            } else if (event instanceof GuestEvent.Interrupted) {
                diagnostics.printf("tether: guest interrupted at ip 0x%x%n", context.instructionPointer());
                return 128 + Signals.SIGINT;
            } else if (event instanceof GuestEvent.Exited x) {
                diagnostics.println("tether: guest ended outside its control: " + x.description());
                // <sys/wait.h>: WIFEXITED when the low 7 bits are 0, then WEXITSTATUS; else WTERMSIG
                int sig = x.status() & 0x7f;
                return sig == 0 ? (x.status() >> 8) & 0xff : 128 + sig;
            }
        }
    }
}
