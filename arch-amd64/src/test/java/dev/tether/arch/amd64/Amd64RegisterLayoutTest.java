package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.arch.testing.RegisterLayoutContract;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Amd64RegisterLayoutTest extends RegisterLayoutContract<Amd64RegisterLayout> {
    /** syscall(2)'s x86-64 convention; initChildProcessPPID's R15/RBX (gVisor's subprocess_amd64.go). */
    Amd64RegisterLayoutTest() {
        super(new Amd64RegisterLayout(), new Facts("amd64", 27, "rax",
                List.of("rdi", "rsi", "rdx", "r10", "r8", "r9"), "rax", "rip", "rsp", 2, "r15", "rbx"));
    }

    /** The byte offsets of struct user_regs_struct, as arch/x86/include/asm/user_64.h declares them. */
    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({
        "r15,0", "r14,8", "r13,16", "r12,24", "rbp,32", "rbx,40", "r11,48", "r10,56", "r9,64",
        "r8,72", "rax,80", "rcx,88", "rdx,96", "rsi,104", "rdi,112", "orig_rax,120", "rip,128", "cs,136",
        "eflags,144", "rsp,152", "ss,160", "fs_base,168", "gs_base,176", "ds,184", "es,192", "fs,200", "gs,208",
    })
    void fieldOffsetsMatchTheSpec(String name, int offset) {
        assertEquals(offset, 8 * layout.names().indexOf(name), name);
    }

    @Test
    void indexConstantsNameTheirWords() {
        int[] idx = {Amd64RegisterLayout.R15, Amd64RegisterLayout.RBX, Amd64RegisterLayout.R10, Amd64RegisterLayout.RAX,
            Amd64RegisterLayout.RDI, Amd64RegisterLayout.ORIG_RAX, Amd64RegisterLayout.RIP, Amd64RegisterLayout.EFLAGS,
            Amd64RegisterLayout.RSP, Amd64RegisterLayout.FS_BASE, Amd64RegisterLayout.GS};
        String[] names = {"r15", "rbx", "r10", "rax", "rdi", "orig_rax", "rip", "eflags", "rsp", "fs_base", "gs"};
        for (int i = 0; i < idx.length; i++) {
            assertEquals(names[i], layout.names().get(idx[i]));
        }
    }
}
