package dev.tether.guest.spi;

import dev.tether.api.Registers;
import dev.tether.guest.GuestContext;
import dev.tether.spi.RegisterLayout;

/**
 * The general-register half of a {@link GuestContext}, kept as the words of the arch's
 * {@link RegisterLayout} (its {@code struct user_regs_struct} or {@code user_pt_regs}): both guest
 * platforms keep a guest's registers so between events, whatever they do with them at a switch.
 * A subclass owns {@link #words} (it may share the array with its switch) and the rest of the API.
 */
public abstract class RegisterWordsContext implements GuestContext {
    /** The registers in the layout's words; the switch reads and writes them in place. */
    protected final long[] words;
    protected final RegisterLayout layout;

    protected RegisterWordsContext(RegisterLayout layout, long[] words) {
        if (words.length != layout.names().size()) {
            throw new IllegalArgumentException(layout.arch() + " has " + layout.names().size() + " register words, got " + words.length);
        }
        this.layout = layout;
        this.words = words;
    }

    @Override
    public final Registers registers() {
        return layout.wrap(words.clone());
    }

    @Override
    public final void setRegisters(Registers registers) {
        if (!registers.arch().equals(layout.arch()) || registers.size() != words.length) {
            throw new IllegalArgumentException("registers of " + registers.arch() + " (" + registers.size()
                    + " words) given to a " + layout.arch() + " guest context (" + words.length + " words)");
        }
        System.arraycopy(registers.words(), 0, words, 0, words.length);
    }

    private int index(String name) {
        int i = layout.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no register " + name + " on " + layout.arch() + " (have " + layout.names() + ")");
        }
        return i;
    }

    @Override
    public final long register(String name) {
        return words[index(name)];
    }

    @Override
    public final void setRegister(String name, long value) {
        words[index(name)] = value;
    }

    @Override
    public final long instructionPointer() {
        return words[layout.instructionPointerIndex()];
    }

    @Override
    public final void setInstructionPointer(long ip) {
        words[layout.instructionPointerIndex()] = ip;
    }

    @Override
    public final long stackPointer() {
        return words[layout.stackPointerIndex()];
    }

    @Override
    public final void setStackPointer(long sp) {
        words[layout.stackPointerIndex()] = sp;
    }

    @Override
    public final void setSyscallResult(long value) {
        words[layout.returnValueIndex()] = value;
    }
}
