package dev.tether.guest.kernel;

import dev.tether.abi.Mman;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.kernel.testing.HostSyscallTable;
import dev.tether.guest.kernel.testing.InMemoryGuestMemory;
import dev.tether.guest.kernel.testing.ScriptedGuestContext;
import dev.tether.guest.kernel.testing.SimpleAbi;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A MiniLinux over the test doubles (in-memory memory, a scripted context, the host's syscall table),
 * with a scratch area in guest memory for arguments, and stdout/stderr captured.
 */
final class KernelFixture {
    static final HostSyscallTable TABLE;
    static final SimpleAbi TABLE_ABI = SimpleAbi.forHost();

    static {
        try {
            TABLE = HostSyscallTable.load();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final InMemoryGuestMemory memory = InMemoryGuestMemory.amd64Like();
    final SimpleAbi abi = SimpleAbi.forHost();
    final MiniLinux kernel = new MiniLinux(TABLE, abi);
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final GuestProcess process;
    final ScriptedGuestContext context = HostSyscallTable.hostArch().equals("amd64") ? ScriptedGuestContext.amd64()
            : ScriptedGuestContext.arm64();
    final Task task;
    /** A scratch area the tests put arguments in. */
    final long scratch;
    private long next;

    KernelFixture(List<Path> readOnlyDirs) {
        this(readOnlyDirs, new byte[0]);
    }

    KernelFixture(List<Path> readOnlyDirs, byte[] stdin) {
        process = kernel.newProcess(memory, readOnlyDirs, new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new int[] {1000, 1001, 2000, 2001});
        task = new Task(context, memory, process, abi);
        scratch = process.mm.mmapAnonymous(0, 1 << 20, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        next = scratch;
    }

    static int nr(String name) {
        return TABLE.require(name);
    }

    /** Runs system call {@code name} through MiniLinux; its value (or -errno). */
    long call(String name, long... args) {
        SyscallResult r = result(name, args);
        if (r instanceof SyscallResult.Value v) {
            return v.value();
        }
        throw new AssertionError(name + " did not return a value: " + r);
    }

    SyscallResult result(String name, long... args) {
        long[] six = new long[6];
        System.arraycopy(args, 0, six, 0, args.length);
        return kernel.handle(task, new GuestEvent.Syscall(nr(name), six));
    }

    /** Places a NUL-terminated string in guest memory; its address. */
    long string(String s) {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_8);
        return bytes(b);
    }

    long bytes(byte[] b) {
        long at = next;
        memory.write(at, b, 0, b.length);
        next += (b.length + 15) & ~15;
        return at;
    }

    /** Reserves {@code n} zeroed bytes in guest memory; their address. */
    long buffer(int n) {
        return bytes(new byte[n]);
    }

    byte[] peek(long address, int n) {
        return memory.peek(address, n);
    }

    String text(long address, int n) {
        return new String(peek(address, n), StandardCharsets.UTF_8);
    }

    ByteBuffer le(long address, int n) {
        return ByteBuffer.wrap(peek(address, n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }
}
