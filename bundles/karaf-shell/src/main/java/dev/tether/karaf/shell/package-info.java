/**
 * The {@code tether:} commands as Apache Karaf actions ({@code @Command}/{@code @Argument}/
 * {@code @Option} with descriptions, completers for the console's pids, syscall names and bench
 * ops, {@code ShellTable} output), registered by Karaf's command extender from the
 * {@code Karaf-Commands} header. Thin adapters over {@link dev.tether.shell.commands}: each prints
 * to the session's console (Karaf prints no return value over ssh or {@code bin/client -b}), and
 * a failure is an exception, which Karaf prints as "Error executing command: ..." and turns into
 * a non-zero exit status of {@code bin/client} and ssh (Karaf's ssh ShellCommand). Karaf only:
 * the feature tether-shell installs it.
 */
package dev.tether.karaf.shell;
