package dev.tether.guest.kernel;

import dev.tether.guest.kernel.spi.FileStat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * An open file description of the guest (the kernel's {@code struct file}): what a guest fd refers to,
 * shared by dup'ed fds (offset and status flags included). Never a host fd number: the host resources
 * behind it (a stream, a {@link FileChannel}) belong to the JVM and are used only by this class.
 */
abstract class OpenFile {
    private int references = 1;
    /** The open(2) flags kept for F_GETFL: access mode and status flags. */
    int statusFlags;
    /** The guest path it was opened by (for /proc-style messages and the trace), or a description. */
    final String name;

    OpenFile(String name, int statusFlags) {
        this.name = name;
        this.statusFlags = statusFlags;
    }

    final void retain() {
        references++;
    }

    /** Drops one reference; the last one closes what lies behind. */
    final void release() {
        if (--references == 0) {
            closeResource();
        }
    }

    int read(byte[] into, int length) throws IOException {
        throw new SyscallError(Linux.EBADF);
    }

    int pread(byte[] into, int length, long offset) throws IOException {
        throw new SyscallError(Linux.ESPIPE);
    }

    int write(byte[] from, int length) throws IOException {
        throw new SyscallError(Linux.EBADF);
    }

    long seek(long offset, int whence) throws IOException {
        throw new SyscallError(Linux.ESPIPE);
    }

    abstract FileStat stat() throws IOException;

    /** The next directory entries (linux_dirent64 records) that fit {@code capacity} bytes. */
    byte[] getdents(int capacity) throws IOException {
        throw new SyscallError(Linux.ENOTDIR);
    }

    void closeResource() {
    }

    /** A FIFO-like stat for the streams: they are not seekable and not terminals. */
    static FileStat streamStat(int mode) {
        return new FileStat(0, 0, Linux.S_IFIFO | mode, 1, 0, 0, 0, 0, 4096, 0, 0, 0, 0, 0, 0, 0);
    }

    /** A guest input stream: the caller's (default the JVM's stdin). */
    static final class Input extends OpenFile {
        private final InputStream in;

        Input(String name, InputStream in) {
            super(name, Linux.O_RDONLY);
            this.in = in;
        }

        @Override
        int read(byte[] into, int length) throws IOException {
            int n = in.read(into, 0, length);
            return Math.max(n, 0);
        }

        @Override
        FileStat stat() {
            return streamStat(0600);
        }
    }

    /** A guest output stream, flushed at each write (the guest buffers itself). */
    static final class Output extends OpenFile {
        private final OutputStream out;

        Output(String name, OutputStream out) {
            super(name, Linux.O_WRONLY);
            this.out = out;
        }

        @Override
        int write(byte[] from, int length) throws IOException {
            out.write(from, 0, length);
            out.flush();
            return length;
        }

        @Override
        FileStat stat() {
            return streamStat(0600);
        }
    }

    /** A regular file under a granted directory, read-only. */
    static final class HostFile extends OpenFile {
        private final FileChannel channel;
        private final Path host;
        private long position;

        HostFile(String name, Path host, FileChannel channel, int flags) {
            super(name, flags);
            this.host = host;
            this.channel = channel;
        }

        @Override
        int read(byte[] into, int length) throws IOException {
            int n = pread(into, length, position);
            position += n;
            return n;
        }

        @Override
        int pread(byte[] into, int length, long offset) throws IOException {
            if (offset < 0) {
                throw new SyscallError(Linux.EINVAL);
            }
            ByteBuffer b = ByteBuffer.wrap(into, 0, length);
            int total = 0;
            while (b.hasRemaining()) {
                int n = channel.read(b, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        int write(byte[] from, int length) {
            throw new SyscallError(Linux.EBADF);
        }

        @Override
        long seek(long offset, int whence) throws IOException {
            long base = switch (whence) {
                case Linux.SEEK_SET -> 0;
                case Linux.SEEK_CUR -> position;
                case Linux.SEEK_END -> channel.size();
                default -> throw new SyscallError(Linux.EINVAL);
            };
            long to = base + offset;
            if (to < 0) {
                throw new SyscallError(Linux.EINVAL);
            }
            position = to;
            return to;
        }

        @Override
        FileStat stat() throws IOException {
            return HostStat.of(host, false);
        }

        @Override
        void closeResource() {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing the guest could be told: close(2) has already succeeded for it
            }
        }
    }

    /** A directory: a granted one (listed from the host at the first getdents) or a synthetic one. */
    static final class Directory extends OpenFile {
        private final Path host;
        private final ConfinedFs fs;
        private List<Dirent.Entry> entries;
        private int next;

        Directory(String name, Path host, ConfinedFs fs, int flags) {
            super(name, flags);
            this.host = host;
            this.fs = fs;
        }

        @Override
        int read(byte[] into, int length) {
            throw new SyscallError(Linux.EISDIR);
        }

        @Override
        long seek(long offset, int whence) {
            if (whence == Linux.SEEK_SET && offset >= 0) {
                next = (int) Math.min(offset, Integer.MAX_VALUE);
                return offset;
            }
            if (whence == Linux.SEEK_CUR && offset == 0) {
                return next;
            }
            throw new SyscallError(Linux.EINVAL);
        }

        @Override
        FileStat stat() throws IOException {
            return host == null ? HostStat.synthetic(name) : HostStat.of(host, false);
        }

        @Override
        byte[] getdents(int capacity) throws IOException {
            if (entries == null) {
                entries = host == null ? Dirent.synthetic(name, fs.syntheticEntries(name)) : Dirent.list(host);
            }
            Dirent.Batch batch = Dirent.encode(entries, next, capacity);
            if (batch.bytes().length == 0 && next < entries.size()) {
                throw new SyscallError(Linux.EINVAL); // the buffer cannot hold even one entry
            }
            next = batch.next();
            return batch.bytes();
        }
    }
}
