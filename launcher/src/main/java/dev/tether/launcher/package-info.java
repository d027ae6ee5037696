/**
 * The {@code tether} command line and the embedded OSGi runtime behind it.
 *
 * <p>{@link dev.tether.launcher.Main} parses the command line with picocli. Bad usage exits with 2
 * and a one-line message; a failed command exits with 1; {@code seccomp eval} exits with 3 when
 * the compiled program and the rule model disagree. Two worlds meet here and never mix:
 * <ul>
 * <li>{@code demo} and {@code shell} boot Apache Felix ({@link dev.tether.launcher.EmbeddedFelix})
 * on {@code <runtime>/bundles}: every Tether bundle plus SCR, Config Admin, Metatype, Gogo and
 * JNA. The launcher shares no package with the framework and talks to Gogo by reflection;</li>
 * <li>the {@code seccomp} commands run on the launcher's own flat class path
 * ({@code <runtime>/lib}): the arm64 arch bundle does not resolve inside Felix on an amd64 host,
 * yet compiling for arm64 needs its syscall table, which {@link java.util.ServiceLoader} finds
 * through the arch jars' {@code META-INF/services}.</li>
 * </ul>
 * This is the only code outside the arch bundles that reads {@code os.arch}, to pick the default
 * {@code --arch} ({@link dev.tether.api.HostArch}).
 */
package dev.tether.launcher;

import dev.tether.api.HostArch;
