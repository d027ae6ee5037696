/**
 * The Gogo console commands of the embedded Felix ({@code ./tether shell}): DS components with the
 * standard {@code osgi.command.scope}/{@code osgi.command.function} properties, thin adapters over
 * the shared command logic of {@link dev.tether.shell.commands}. In Apache Karaf they stay
 * disabled ({@link dev.tether.shell.GogoCommandsEnabler}): the Karaf-native actions of
 * {@code dev.tether.karaf.shell} serve the same names there.
 */
package dev.tether.shell;
