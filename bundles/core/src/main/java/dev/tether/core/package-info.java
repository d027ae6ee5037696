package dev.tether.core;
