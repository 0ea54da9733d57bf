package dev.layerskip.serving;

import ai.djl.modality.Input;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@link Input} whose cancelled flag is safe to set from the HTTP thread and read from the
 * thread that generates (DJL's own flag is a plain field).
 */
final class CancellableInput extends Input {

    private final AtomicBoolean cancelled = new AtomicBoolean();

    @Override
    public boolean isCancelled() {
        return cancelled.get();
    }

    @Override
    public void setCancelled(boolean value) {
        cancelled.set(value);
    }
}
