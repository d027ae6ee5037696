package dev.tether.guest.kernel;

import dev.tether.guest.GuestEvent;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A guest kernel for ordinary static, single-threaded Linux programs: the system calls a libc needs to
 * start, allocate, read granted files, write its output and exit, emulated in Java against per-guest
 * state ({@link GuestProcess}). System calls are dispatched by number through a table made once from the
 * arch's {@link SyscallTable} (by name), so a call costs an array index; a system call this kernel does
 * not implement returns {@code ENOSYS} and is counted by name ({@link GuestProcess#unknownSyscalls()}).
 *
 * <p>Not yet (each refused with a clear errno, see the handlers): more threads ({@code clone} EAGAIN),
 * a new program ({@code execve} ENOSYS), signal delivery (dispositions are recorded only), any write to
 * the file system (EROFS), sockets and pipes (ENOSYS).
 */
public final class MiniLinux implements SyscallHandler {
    private final SyscallTable table;
    private final LinuxAbi abi;
    private final SyscallHandler[] byNumber;
    private final String[] names;
    private final Set<String> implemented;

    /** A kernel whose uname nodename is {@code tether}. */
    public MiniLinux(SyscallTable table, LinuxAbi abi) {
        this(table, abi, "tether");
    }

    /**
     * @throws IllegalArgumentException if the table and the ABI are for different arches
     */
    public MiniLinux(SyscallTable table, LinuxAbi abi, String nodename) {
        if (!table.arch().equals(abi.arch())) {
            throw new IllegalArgumentException("syscall table of " + table.arch() + " with the Linux ABI of " + abi.arch());
        }
        this.table = table;
        this.abi = abi;
        Map<String, SyscallHandler> handlers = handlers(nodename);
        int max = table.all().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.byNumber = new SyscallHandler[max + 1];
        this.names = new String[max + 1];
        Set<String> done = new TreeSet<>();
        table.all().forEach((name, nr) -> {
            names[nr] = name;
            SyscallHandler h = handlers.get(name);
            if (h != null) {
                byNumber[nr] = h;
                done.add(name);
            }
        });
        this.implemented = Collections.unmodifiableSet(done);
    }

    /** Every system call name MiniLinux has a handler for, on any arch. */
    public static Set<String> handledNames() {
        return Collections.unmodifiableSet(new TreeSet<>(handlers("tether").keySet()));
    }

    private static Map<String, SyscallHandler> handlers(String nodename) {
        Map<String, SyscallHandler> h = new HashMap<>();
        FileSyscalls.register(h);
        MemorySyscalls.register(h);
        ProcessSyscalls.register(h, nodename);
        return h;
    }

    /** The system calls of this arch's table that this kernel implements. */
    public Set<String> implemented() {
        return implemented;
    }

    public LinuxAbi abi() {
        return abi;
    }

    public SyscallTable table() {
        return table;
    }

    /** The name of system call {@code nr} on this arch, or {@code syscall_<nr>}. */
    public String syscallName(long nr) {
        return nr >= 0 && nr < names.length && names[(int) nr] != null ? names[(int) nr] : "syscall_" + nr;
    }

    /**
     * A new guest process in {@code memory} with fds 0, 1, 2 on {@code in}, {@code out}, {@code err} and
     * the read-only directories {@code readOnlyDirs}.
     *
     * @param credentials uid, euid, gid, egid
     * @throws IllegalArgumentException for a read-only directory that is not an existing absolute directory
     */
    public GuestProcess newProcess(GuestMemory memory, List<Path> readOnlyDirs, InputStream in, PrintStream out,
            PrintStream err, int[] credentials) {
        if (credentials.length != 4) {
            throw new IllegalArgumentException("credentials are uid, euid, gid, egid: got " + credentials.length);
        }
        return new GuestProcess(memory, readOnlyDirs, in, out, err, credentials);
    }

    /**
     * Loads {@code elf} into the process's (empty) memory and builds its stack: execve(2) of a static
     * program. Set the registers with {@link LinuxAbi#startRegisters} from the result.
     *
     * @throws GuestLoadException if the program cannot run here
     */
    public LoadedProgram load(GuestProcess process, GuestMemory memory, ElfFile elf, ProgramSetup setup) {
        LoadedProgram loaded = ElfLoader.load(elf, abi, process.mm, memory, setup);
        process.exe = setup.execfn();
        // the kernel names a task after the file it runs (fs/exec.c __set_task_comm of the basename)
        String base = setup.execfn().substring(setup.execfn().lastIndexOf('/') + 1);
        byte[] name = base.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        process.comm = java.util.Arrays.copyOf(name, Math.min(name.length, ProcessSyscalls.TASK_COMM_LEN - 1));
        return loaded;
    }

    @Override
    public SyscallResult handle(Task task, GuestEvent.Syscall call) {
        long nr = call.number();
        SyscallHandler h = nr >= 0 && nr < byNumber.length ? byNumber[(int) nr] : null;
        if (h == null) {
            task.process().countUnknown(syscallName(nr));
            return SyscallResult.errno(Linux.ENOSYS);
        }
        try {
            return h.handle(task, call);
        } catch (SyscallError e) {
            return SyscallResult.errno(e.errno);
        } catch (GuestMemoryException e) {
            return SyscallResult.errno(Linux.EFAULT);
        }
    }
}
