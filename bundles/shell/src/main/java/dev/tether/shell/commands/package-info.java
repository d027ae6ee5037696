/**
 * The logic of the {@code tether:} console commands, shared by the two shells that offer them:
 * the Gogo functions of this bundle (the embedded Felix of {@code ./tether shell}) and the
 * Karaf-native actions of {@code dev.tether.karaf.shell}. Each command is a small class that takes
 * already-typed arguments and <em>prints</em> to the {@link java.io.PrintStream} it is given (the
 * session's console): Karaf prints no return value over {@code ssh}/{@code bin/client -b}, so
 * nothing here returns its output. Bad input is an {@link java.lang.IllegalArgumentException}
 * naming what was wrong; a missing platform an {@link java.lang.IllegalStateException}.
 *
 * <p>State lives in one DS service, {@link dev.tether.shell.commands.TetherConsole}: the services
 * the commands use, and the stubs and subprocesses that {@code tether:spawn} made (with the one
 * long-lived thread that traces them), so that both shells see the same ones.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.tether.shell.commands;
