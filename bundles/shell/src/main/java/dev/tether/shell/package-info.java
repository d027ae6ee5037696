/**
 * Console commands (Gogo; portable to Karaf) as DS components with the standard
 * {@code osgi.command.scope}/{@code osgi.command.function} properties: {@code tether:demo}, and
 * {@code tether:info}, {@code stubs}, {@code spawn}, {@code inject}, {@code regs}, {@code kill},
 * {@code policy}, {@code explain} ({@link dev.tether.shell.TetherCommands}).
 */
package dev.tether.shell;
