package dev.layerskip.model;

import ai.djl.Device;

/**
 * The host-thread choices a model decodes with, decided from its device and shape: how many threads
 * PyTorch's CPU kernels use on a decoding thread ({@link IntraOpThreads}), how many stepping threads serve
 * batches ({@code BatchSchedulers}), and whether the two-thread self-speculative pipeline may run.
 *
 * <p>On the CPU (measured on the 2-core CI machine, docs/serving.md "Batched serving"): a model below hidden
 * size {@link IntraOpThreads#SMALL_HIDDEN} decodes on one thread, and then one stepping thread per core serves
 * batches (at most one per two sequences of the batch limit); a larger model keeps the engine's thread count
 * and one stepping thread. On a GPU the kernels run on the device: no intra-op tuning (the engine's default,
 * unless {@value IntraOpThreads#PROPERTY} fixes it), one stepping thread (a bigger batch, not a second thread,
 * fills a GPU), and no pipeline: its drafter and verifier threads would queue on one CUDA stream, so drafting
 * never overlaps verification.
 *
 * @param intraOpThreads threads for PyTorch's CPU kernels, or 0 to keep the engine's default
 * @param steppingThreads stepping threads (batch schedulers), at least 1
 * @param pipelineAllowed whether the two-thread pipeline may run
 */
public record DeviceThreads(int intraOpThreads, int steppingThreads, boolean pipelineAllowed) {

    /** Validates the counts. */
    public DeviceThreads {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0 (0 = the engine's default), got " + intraOpThreads);
        }
        if (steppingThreads < 1) {
            throw new IllegalArgumentException("steppingThreads must be >= 1, got " + steppingThreads);
        }
    }

    /**
     * The choices, from values alone (no engine call: testable with a GPU {@link Device} on any machine).
     *
     * @param device the device the weights are on
     * @param hiddenSize the model's hidden size H
     * @param processors processors available to the JVM, at least 1
     * @param maxBatchSize the most sequences all batches hold together, at least 1
     * @param fixedIntraOpThreads the thread count {@value IntraOpThreads#PROPERTY} fixes, or 0 for none
     * @return the choices
     * @throws IllegalArgumentException naming a value out of range
     */
    public static DeviceThreads choose(Device device, int hiddenSize, int processors, int maxBatchSize,
            int fixedIntraOpThreads) {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (hiddenSize < 1 || processors < 1 || maxBatchSize < 1 || fixedIntraOpThreads < 0) {
            throw new IllegalArgumentException("hiddenSize, processors and maxBatchSize must be >= 1 and fixedIntraOpThreads"
                    + " >= 0, got " + hiddenSize + ", " + processors + ", " + maxBatchSize + ", " + fixedIntraOpThreads);
        }
        if (!pipelineAllowedOn(device)) {
            return new DeviceThreads(fixedIntraOpThreads, 1, false);
        }
        int intraOp = fixedIntraOpThreads != 0 ? fixedIntraOpThreads : hiddenSize < IntraOpThreads.SMALL_HIDDEN ? 1 : 0;
        int stepping = intraOp == 1 ? Math.max(1, Math.min(processors, maxBatchSize / 2)) : 1;
        return new DeviceThreads(intraOp, stepping, true);
    }

    /**
     * The choices for a loaded model on this machine: its device and hidden size, the JVM's processors, and
     * {@value IntraOpThreads#PROPERTY} when set.
     *
     * @param model the model
     * @param maxBatchSize the most sequences all batches hold together, at least 1
     * @return the choices
     * @throws IllegalArgumentException naming the property when it is set to something else than a positive integer
     */
    public static DeviceThreads forModel(LlamaModel model, int maxBatchSize) {
        return choose(model.manager().getDevice(), model.config().hiddenSize(), Runtime.getRuntime().availableProcessors(),
                maxBatchSize, IntraOpThreads.fixedCount());
    }

    /**
     * @param device a device
     * @return whether the two-thread pipeline can overlap its threads there: on the CPU, not on a GPU
     */
    public static boolean pipelineAllowedOn(Device device) {
        return !device.isGpu();
    }

    /**
     * Refuses the two-thread pipeline, asked for by name, on a device where it cannot overlap its threads.
     *
     * @param device the device the weights are (or will be) on
     * @param requested whether the pipeline is asked for (null: not said)
     * @param setting the setting that asked, as the user spelled it (e.g. {@code --pipelined})
     * @throws IllegalArgumentException one line naming the setting and the device, when refused
     */
    public static void requirePipelineAllowed(Device device, Boolean requested, String setting) {
        if (Boolean.TRUE.equals(requested) && !pipelineAllowedOn(device)) {
            throw new IllegalArgumentException(pipelineRefusal(device, setting));
        }
    }

    /**
     * @param device a GPU device
     * @param setting the setting that asked for the pipeline
     * @return the one-line refusal
     */
    static String pipelineRefusal(Device device, String setting) {
        return setting + " (the two-thread self-speculative pipeline) is not available on device " + device
                + ": its drafting and verifying threads would queue on one CUDA stream; drop " + setting
                + " to decode in rounds";
    }
}
