package dev.tether.trap;

import dev.tether.api.Registers;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import java.util.List;

/**
 * A trap address space's subprocess as its users see it: core's, except that memory calls refuse the
 * trap platform's own pages (the code page, the per-thread regions and the reservation around them,
 * docs/trap.md, section 2) by name, as core refuses the stub page. Raw {@link #syscall} calls are passed
 * through unchecked, as core's are.
 */
final class GuardedSubprocess implements Subprocess {
    private final Subprocess sp;
    /** The trap platform's pages: from the guest's limit up to the stub page. */
    private final long low;
    private final long stub;
    /** Closes the address space this subprocess is of. */
    private final Runnable closeSpace;

    GuardedSubprocess(Subprocess sp, long low, long stub, Runnable closeSpace) {
        this.sp = sp;
        this.low = low;
        this.stub = stub;
        this.closeSpace = closeSpace;
    }

    private void check(String what, long address, long length) {
        long end = address + length;
        if (length > 0 && Long.compareUnsigned(address, stub) < 0 && Long.compareUnsigned(end, low) > 0) {
            throw new IllegalArgumentException(String.format("%s of 0x%x..0x%x overlaps the trap platform's pages at 0x%x..0x%x "
                    + "(its handler and per-thread regions, docs/trap.md)", what, address, end, low, stub));
        }
    }

    @Override
    public int pid() {
        return sp.pid();
    }

    @Override
    public long syscall(long sysno, long... args) {
        return sp.syscall(sysno, args);
    }

    @Override
    public long syscall(String name, long... args) {
        return sp.syscall(name, args);
    }

    @Override
    public long mapAnonymous(long address, long length, int prot) {
        if (address != 0) {
            check("mapAnonymous", address, length);
        }
        return sp.mapAnonymous(address, length, prot);
    }

    @Override
    public long mapFile(long address, long length, int prot, int fd, long offset) {
        check("mapFile", address, length);
        return sp.mapFile(address, length, prot, fd, offset);
    }

    @Override
    public void unmap(long address, long length) {
        check("unmap", address, length);
        sp.unmap(address, length);
    }

    @Override
    public void protect(long address, long length, int prot) {
        check("protect", address, length);
        sp.protect(address, length, prot);
    }

    @Override
    public void read(long address, byte[] into, int offset, int length) {
        sp.read(address, into, offset, length);
    }

    @Override
    public void write(long address, byte[] from, int offset, int length) {
        sp.write(address, from, offset, length);
    }

    @Override
    public Registers registers() {
        return sp.registers();
    }

    @Override
    public List<StubThreadInfo> threads() {
        return sp.threads();
    }

    @Override
    public boolean alive() {
        return sp.alive();
    }

    @Override
    public String death() {
        return sp.death();
    }

    /** Closes the address space (a trap subprocess is never pooled: its handlers and threads stay in it). */
    @Override
    public void close() {
        closeSpace.run();
    }

    @Override
    public void destroy() {
        closeSpace.run();
    }
}
