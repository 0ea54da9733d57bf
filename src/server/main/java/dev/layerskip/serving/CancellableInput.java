package dev.layerskip.serving;

import ai.djl.modality.Input;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@link Input} whose cancelled flag is safe to set from the HTTP thread and read from the
 * thread that generates (DJL's own flag is a plain field). The generation asks the flag once per
 * token, so the first question also tells that generation has started (the request was valid).
 */
final class CancellableInput extends Input {

    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean started;

    @Override
    public boolean isCancelled() {
        started = true;
        return cancelled.get();
    }

    @Override
    public void setCancelled(boolean value) {
        cancelled.set(value);
    }

    /** @return the flag, without counting as the generation's question */
    boolean cancelRequested() {
        return cancelled.get();
    }

    /** @return whether the generation has asked for the flag, i.e. produced a token */
    boolean generationStarted() {
        return started;
    }
}
