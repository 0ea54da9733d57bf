package dev.layerskip.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns off gradient recording for the calling thread. PyTorch's grad mode is per thread, so every
 * thread that runs inference (CLI, serving workers, streaming threads) calls this first.
 */
public final class InferenceMode {

    private InferenceMode() {}

    /** Grad mode turned off for a block of code and restored at its end (try-with-resources). */
    public interface NoGrad extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Turns autograd off on this thread until the returned scope closes, then restores what it was:
     * for work without gradients inside training (optimizer updates, clipping, evaluation).
     *
     * @return the scope
     */
    public static NoGrad noGrad() {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        return () -> JniUtils.setGradMode(previous);
    }

    /** Disables autograd on the current thread (a no-op on engines other than PyTorch). */
    public static void enterOnThisThread() {
        if ("PyTorch".equals(Engine.getDefaultEngineName()) || Engine.hasEngine("PyTorch")) {
            JniUtils.setGradMode(false);
        }
    }
}
