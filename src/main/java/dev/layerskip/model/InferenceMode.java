package dev.layerskip.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns off gradient recording for the calling thread. PyTorch's grad mode is per thread, so every
 * thread that runs inference (CLI, serving workers, streaming threads) calls this first.
 */
public final class InferenceMode {

    private InferenceMode() {}

    /** Disables autograd on the current thread (a no-op on engines other than PyTorch). */
    public static void enterOnThisThread() {
        if ("PyTorch".equals(Engine.getDefaultEngineName()) || Engine.hasEngine("PyTorch")) {
            JniUtils.setGradMode(false);
        }
    }
}
