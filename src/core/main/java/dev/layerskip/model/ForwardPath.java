package dev.layerskip.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Which composition of the same arithmetic a forward pass runs. Callers choose it: generation and evaluation run
 * {@link #FUSED}, training runs {@link #AUTOGRAD}; both give the same values (tested against each other and against
 * the PyTorch references).
 */
public enum ForwardPath {
    /**
     * The TorchScript helper's fused inference kernels ({@link FusedOps}): about 15 native calls per layer instead of
     * 55, under DJL's inference guard, so the calling thread must have gradients off.
     */
    FUSED,
    /** DJL operations, which autograd records and differentiates (training), on any device. */
    AUTOGRAD;

    /**
     * The path the calling thread's gradient mode allows, for callers that serve both (tests, benchmarks): fused
     * without gradients, else autograd.
     *
     * @return FUSED when gradients are off, else AUTOGRAD
     */
    public static ForwardPath forThisThread() {
        return JniUtils.isGradMode() ? AUTOGRAD : FUSED;
    }

    /**
     * Checks that the calling thread can run this path.
     *
     * @throws IllegalStateException for FUSED with gradients on (the fused kernels would cut autograd's graph)
     */
    void checkThread() {
        if (this == FUSED && JniUtils.isGradMode()) {
            throw new IllegalStateException("the fused inference path needs gradients off on this thread"
                    + " (InferenceMode.enterOnThisThread or InferenceMode.noGrad); training passes run ForwardPath.AUTOGRAD");
        }
    }
}
