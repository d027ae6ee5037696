package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;

/**
 * Copies between the JVM and a stub process's memory with process_vm_readv/writev, through a
 * native scratch buffer per calling thread, grown on demand (no ptrace: any thread may do it).
 */
final class GuestMemory {
    /** Native scratch for guest memory copies, per calling thread. */
    private static final ThreadLocal<NativeMemory[]> COPY = ThreadLocal.withInitial(() -> new NativeMemory[1]);

    private GuestMemory() {
    }

    private static NativeMemory scratch(int length) {
        NativeMemory[] holder = COPY.get();
        if (holder[0] == null || holder[0].size() < length) {
            if (holder[0] != null) {
                holder[0].close();
            }
            holder[0] = NativeMemory.allocate(Math.max(length, 4096));
        }
        return holder[0];
    }

    /** Reads {@code length} bytes at {@code address} in process {@code pid} into {@code into[offset..]}. */
    static void read(int pid, long address, byte[] into, int offset, int length) {
        NativeMemory buf = scratch(length);
        int done = 0;
        while (done < length) {
            long n = Sys.processVmRead(pid, buf.address() + done, address + done, length - done);
            if (n <= 0) {
                throw new LinuxException(String.format("process_vm_readv(%d, 0x%x): short read", pid, address + done), Errno.EFAULT);
            }
            done += (int) n;
        }
        buf.read(0, into, offset, length);
    }

    /** Writes {@code from[offset..offset + length)} to {@code address} in process {@code pid}. */
    static void write(int pid, long address, byte[] from, int offset, int length) {
        NativeMemory buf = scratch(length);
        buf.write(0, from, offset, length);
        int done = 0;
        while (done < length) {
            long n = Sys.processVmWrite(pid, buf.address() + done, address + done, length - done);
            if (n <= 0) {
                throw new LinuxException(String.format("process_vm_writev(%d, 0x%x): short write", pid, address + done), Errno.EFAULT);
            }
            done += (int) n;
        }
    }
}
