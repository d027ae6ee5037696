package dev.tether.guest.kernel;

import dev.tether.guest.GuestContext;
import dev.tether.guest.kernel.spi.LinuxAbi;
import java.nio.charset.StandardCharsets;

/**
 * The guest task a system call came from (gVisor's {@code kernel.Task}): its register context, its
 * memory, its process's kernel state and the arch's ABI facts, with helpers to read and write guest
 * memory that turn a bad address into {@code EFAULT}.
 */
public final class Task {
    private final GuestContext context;
    private final GuestMemory memory;
    private final GuestProcess process;
    private final LinuxAbi abi;
    private final byte[] scratch = new byte[8];

    public Task(GuestContext context, GuestMemory memory, GuestProcess process, LinuxAbi abi) {
        this.context = context;
        this.memory = memory;
        this.process = process;
        this.abi = abi;
    }

    public GuestContext context() {
        return context;
    }

    public GuestMemory memory() {
        return memory;
    }

    public GuestProcess process() {
        return process;
    }

    public LinuxAbi abi() {
        return abi;
    }

    /** The guest's thread id: the pid, as it has one thread. */
    public int tid() {
        return GuestProcess.PID;
    }

    /** {@code length} bytes at {@code address}. */
    public byte[] read(long address, int length) {
        byte[] b = new byte[length];
        memory.read(address, b, 0, length);
        return b;
    }

    public void write(long address, byte[] bytes) {
        memory.write(address, bytes, 0, bytes.length);
    }

    public long readLong(long address) {
        memory.read(address, scratch, 0, 8);
        return java.nio.ByteBuffer.wrap(scratch).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public void writeLong(long address, long value) {
        java.nio.ByteBuffer.wrap(scratch).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(value);
        memory.write(address, scratch, 0, 8);
    }

    public void writeInt(long address, int value) {
        java.nio.ByteBuffer.wrap(scratch).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(value);
        memory.write(address, scratch, 0, 4);
    }

    public int readInt(long address) {
        memory.read(address, scratch, 0, 4);
        return java.nio.ByteBuffer.wrap(scratch).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /**
     * The NUL-terminated string at {@code address}, read a page at a time so that a string ending just
     * before an unmapped page is read.
     *
     * A NULL address is EFAULT and a string with no NUL in {@code max} bytes ENAMETOOLONG (both end the
     * system call with that errno when thrown inside {@link MiniLinux}).
     *
     * @throws GuestMemoryException (EFAULT) for an address that cannot be read
     */
    public String readString(long address, int max) {
        if (address == 0) {
            throw new SyscallError(Linux.EFAULT);
        }
        byte[] buf = new byte[max];
        int have = 0;
        long page = memory.pageSize();
        while (have < max) {
            long at = address + have;
            int chunk = (int) Math.min(max - have, page - (at & (page - 1)));
            memory.read(at, buf, have, chunk);
            for (int i = have; i < have + chunk; i++) {
                if (buf[i] == 0) {
                    return new String(buf, 0, i, StandardCharsets.UTF_8);
                }
            }
            have += chunk;
        }
        throw new SyscallError(Linux.ENAMETOOLONG);
    }
}
