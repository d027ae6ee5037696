package dev.tether.launcher;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What a subcommand needs of the command line it runs under: where to print, and the runtime
 * directory. Subcommands get it as their picocli {@code @ParentCommand}, so that they depend on
 * this and not on the command that lists them.
 */
interface Invocation {
    PrintStream out();

    PrintStream err();

    /**
     * The runtime directory holding lib/ and bundles/.
     *
     * @throws CliException when there is none
     */
    Path runtimeHome();
}
