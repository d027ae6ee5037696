/**
 * Console commands (Gogo; portable to Karaf) as DS components with the standard
 * {@code osgi.command.scope}/{@code osgi.command.function} properties: {@code tether:demo}, ...
 */
package dev.tether.shell;
