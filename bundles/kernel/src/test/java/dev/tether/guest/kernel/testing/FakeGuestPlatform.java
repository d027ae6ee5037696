package dev.tether.guest.kernel.testing;

import dev.tether.api.Registers;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestMemoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * TEST DOUBLE: a {@link GuestPlatform} whose address spaces are {@link InMemoryGuestMemory} behind the
 * {@link Subprocess} memory operations, and whose contexts are {@link ScriptedGuestContext}s from a
 * supplier: the guest "runs" the events a test scripts. For testing what drives a platform (loading,
 * the run loop, closing), never a platform itself.
 */
public final class FakeGuestPlatform implements GuestPlatform {
    private final String arch;
    private final Supplier<ScriptedGuestContext> contexts;
    /** Every address space made, in order. */
    public final List<Space> spaces = new ArrayList<>();

    public FakeGuestPlatform(String arch, Supplier<ScriptedGuestContext> contexts) {
        this.arch = arch;
        this.contexts = contexts;
    }

    @Override
    public String mechanism() {
        return "fake";
    }

    @Override
    public String arch() {
        return arch;
    }

    @Override
    public GuestAddressSpace newAddressSpace() {
        Space s = new Space(InMemoryGuestMemory.amd64Like());
        spaces.add(s);
        return s;
    }

    /** One address space: its memory, and whether it was closed. */
    public final class Space implements GuestAddressSpace {
        public final InMemoryGuestMemory memory;
        public boolean closed;
        private final FakeSubprocess subprocess;

        Space(InMemoryGuestMemory memory) {
            this.memory = memory;
            this.subprocess = new FakeSubprocess(memory);
        }

        @Override
        public Subprocess subprocess() {
            return subprocess;
        }

        @Override
        public GuestContext newContext() {
            return contexts.get();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** The memory operations of a subprocess over in-memory pages; a failed copy is a TetherException, as in core. */
    static final class FakeSubprocess implements Subprocess {
        private final InMemoryGuestMemory memory;

        FakeSubprocess(InMemoryGuestMemory memory) {
            this.memory = memory;
        }

        @Override
        public int pid() {
            return 4242;
        }

        @Override
        public long syscall(long sysno, long... args) {
            throw new UnsupportedOperationException("no injection in a fake subprocess");
        }

        @Override
        public long syscall(String name, long... args) {
            throw new UnsupportedOperationException("no injection in a fake subprocess");
        }

        @Override
        public long mapAnonymous(long address, long length, int prot) {
            memory.map(address, length, prot);
            return address;
        }

        @Override
        public long mapFile(long address, long length, int prot, int fd, long offset) {
            throw new UnsupportedOperationException("no files in a fake subprocess");
        }

        @Override
        public void unmap(long address, long length) {
            memory.unmap(address, length);
        }

        @Override
        public void protect(long address, long length, int prot) {
            memory.protect(address, length, prot);
        }

        @Override
        public void read(long address, byte[] into, int offset, int length) {
            try {
                memory.read(address, into, offset, length);
            } catch (GuestMemoryException e) {
                throw new TetherException("process_vm_readv: EFAULT");
            }
        }

        @Override
        public void write(long address, byte[] from, int offset, int length) {
            try {
                memory.write(address, from, offset, length);
            } catch (GuestMemoryException e) {
                throw new TetherException("process_vm_writev: EFAULT");
            }
        }

        @Override
        public Registers registers() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<StubThreadInfo> threads() {
            return List.of();
        }

        @Override
        public boolean alive() {
            return true;
        }

        @Override
        public String death() {
            return null;
        }

        @Override
        public void close() {
        }

        @Override
        public void destroy() {
        }
    }
}
