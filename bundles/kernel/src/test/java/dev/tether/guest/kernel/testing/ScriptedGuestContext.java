package dev.tether.guest.kernel.testing;

import dev.tether.api.Registers;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * TEST DOUBLE: a {@link GuestContext} without a platform. Its registers are plain values with the given
 * names; {@link #switchTo()} returns the events a test queued, in order, and records every system call
 * result set in between (what the guest would have seen).
 */
public final class ScriptedGuestContext implements GuestContext {
    private Registers registers;
    private final String ipName;
    private final String spName;
    private final String resultName;
    private long tls;
    private byte[] fp = new byte[0];
    private final Deque<java.util.function.Function<ScriptedGuestContext, GuestEvent>> script = new ArrayDeque<>();
    private final List<Long> results = new ArrayList<>();

    public ScriptedGuestContext(String arch, List<String> names, String ipName, String spName, String resultName) {
        this.registers = new Registers(arch, names, new long[names.size()]);
        this.ipName = ipName;
        this.spName = spName;
        this.resultName = resultName;
    }

    /** The x86-64 {@code user_regs_struct} names (arch/x86/include/asm/user_64.h). */
    public static ScriptedGuestContext amd64() {
        return new ScriptedGuestContext("amd64", List.of("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9",
                "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
                "gs_base", "ds", "es", "fs", "gs"), "rip", "rsp", "rax");
    }

    /** The arm64 {@code user_pt_regs} names (arch/arm64/include/uapi/asm/ptrace.h). */
    public static ScriptedGuestContext arm64() {
        List<String> n = new ArrayList<>();
        for (int i = 0; i <= 30; i++) {
            n.add("x" + i);
        }
        n.addAll(List.of("sp", "pc", "pstate"));
        return new ScriptedGuestContext("arm64", n, "pc", "sp", "x0");
    }

    public ScriptedGuestContext then(GuestEvent event) {
        script.add(c -> event);
        return this;
    }

    /** An event made when the guest "runs" to it, from the context's state then (e.g. its stack pointer). */
    public ScriptedGuestContext then(java.util.function.Function<ScriptedGuestContext, GuestEvent> event) {
        script.add(event);
        return this;
    }

    /** The system call results set so far, in order. */
    public List<Long> results() {
        return results;
    }

    @Override
    public GuestAddressSpace addressSpace() {
        throw new UnsupportedOperationException("a scripted context has no address space");
    }

    @Override
    public Registers registers() {
        return registers;
    }

    @Override
    public void setRegisters(Registers r) {
        if (!r.names().equals(registers.names())) {
            throw new IllegalArgumentException("other register layout: " + r.names());
        }
        registers = r;
    }

    @Override
    public long register(String name) {
        return registers.get(name);
    }

    @Override
    public void setRegister(String name, long value) {
        int i = registers.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no register " + name);
        }
        registers = registers.with(i, value);
    }

    @Override
    public long instructionPointer() {
        return register(ipName);
    }

    @Override
    public void setInstructionPointer(long ip) {
        setRegister(ipName, ip);
    }

    @Override
    public long stackPointer() {
        return register(spName);
    }

    @Override
    public void setStackPointer(long sp) {
        setRegister(spName, sp);
    }

    @Override
    public void setSyscallResult(long value) {
        results.add(value);
        setRegister(resultName, value);
    }

    @Override
    public long tls() {
        return tls;
    }

    @Override
    public void setTls(long value) {
        tls = value;
    }

    @Override
    public byte[] floatingPointState() {
        return fp.clone();
    }

    @Override
    public void setFloatingPointState(byte[] state) {
        fp = state.clone();
    }

    @Override
    public void setSingleStep(boolean singleStep) {
    }

    @Override
    public void setLazyFloatingPoint(boolean lazy) {
    }

    @Override
    public GuestEvent switchTo() {
        java.util.function.Function<ScriptedGuestContext, GuestEvent> e = script.poll();
        if (e == null) {
            throw new IllegalStateException("the script of this test context ran out of events");
        }
        return e.apply(this);
    }

    @Override
    public void interrupt() {
        script.addFirst(c -> new GuestEvent.Interrupted());
    }
}
