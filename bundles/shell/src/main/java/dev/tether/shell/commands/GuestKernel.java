package dev.tether.shell.commands;

import dev.tether.api.PlatformFacts;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestRunner;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.util.List;

/**
 * What MiniLinux needs beside a guest platform, for its arch: the syscall table and the Linux ABI
 * (services of the arch bundle). Shared by {@code tether:run} and the demo's guest.
 */
record GuestKernel(GuestPlatform platform, SyscallTable table, LinuxAbi abi) {

    /**
     * The table and ABI of {@code platform}'s arch among the registered ones.
     *
     * @throws IllegalStateException naming the service the arch bundle does not offer
     */
    static GuestKernel of(GuestPlatform platform, List<SyscallTable> tables, List<LinuxAbi> abis) {
        SyscallTable table = tables.stream().filter(t -> t.arch().equals(platform.arch())).findFirst().orElse(null);
        LinuxAbi abi = abis.stream().filter(a -> a.arch().equals(platform.arch())).findFirst().orElse(null);
        if (table == null || abi == null) {
            throw new IllegalStateException("the " + platform.arch() + " arch bundle offers no "
                    + (table == null ? "SyscallTable" : "LinuxAbi") + " service");
        }
        return new GuestKernel(platform, table, abi);
    }

    /** A runner for guests below the stub page (and the guest platform's own pages) of the platform described by {@code facts}. */
    GuestRunner runner(PlatformFacts facts) {
        return new GuestRunner(platform, table, abi, platform.guestLimit(facts.stubAddress()), (int) facts.pageSize());
    }
}
