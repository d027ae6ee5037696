package dev.tether.core;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The one detached stub thread a subprocess keeps ready for its next new caller
 * ({@link StubThreads#forCaller}): cloned in the background by the subprocess's owner, taken
 * by a caller, which then attaches it. Without a spare the caller clones synchronously.
 */
final class SpareThread {
    /** The spare being cloned or ready, or null; guarded by this. */
    private CompletableFuture<Integer> spare;

    /**
     * The spare's tid, waiting for it if {@code owner} is still cloning it; -1 if there is none,
     * if it could not be made, or when called on the owner itself (it would wait for its own queue).
     */
    int take(TracerThread owner) {
        if (owner.isCurrent()) {
            return -1;
        }
        CompletableFuture<Integer> f;
        synchronized (this) {
            f = spare;
            spare = null;
        }
        if (f == null) {
            return -1;
        }
        try {
            return f.join();
        } catch (CompletionException | CancellationException e) {
            return -1; // could not be made (the subprocess died meanwhile): the synchronous path says why
        }
    }

    /**
     * Asks {@code owner} to {@code clone} a spare in the background, unless one is ready or
     * coming; on the owner, {@code unwanted} says whether the subprocess still wants it.
     */
    void prepare(TracerThread owner, BooleanSupplier unwanted, IntSupplier clone) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        synchronized (this) {
            if (spare != null) {
                return;
            }
            spare = f;
        }
        boolean queued = owner.post(() -> {
            if (unwanted.getAsBoolean()) {
                f.cancel(false);
                return;
            }
            try {
                f.complete(clone.getAsInt());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        if (!queued) {
            f.cancel(false);
        }
    }
}
