package dev.tether.shell;
