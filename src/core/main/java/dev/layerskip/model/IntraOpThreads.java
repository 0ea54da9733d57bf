package dev.layerskip.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * How many threads PyTorch's CPU kernels use while a thread decodes. PyTorch keeps this per calling
 * thread (OpenMP's thread count), and every new thread starts with one per core. Small models are
 * bound by per-call overhead, which parallel regions only add to: measured on the 2-core CI machine,
 * a decoding step of the demo model (hidden 192) costs about half as much with one thread
 * (StepProbe in docs/serving.md, "Batched serving"). Large models stream weights and keep the default.
 *
 * <p>Rule ({@link DeviceThreads}): on the CPU, one thread below hidden size {@value #SMALL_HIDDEN}, else the
 * engine's default; on a GPU, the engine's default; the system property {@value #PROPERTY} (a positive integer)
 * overrides it for every model.
 */
public final class IntraOpThreads {

    /** Models with a smaller hidden size decode on one thread. */
    public static final int SMALL_HIDDEN = 1024;

    /** The system property that fixes the thread count for every model. */
    public static final String PROPERTY = "layerskip.intra_op_threads";

    private static final ThreadLocal<Integer> FIRST_COUNT = new ThreadLocal<>();

    private IntraOpThreads() {}

    /**
     * The thread count {@value #PROPERTY} fixes for every model.
     *
     * @return the count, or 0 when the property is not set
     * @throws IllegalArgumentException naming the property when it is set to something else than a positive integer
     */
    static int fixedCount() {
        String fixed = System.getProperty(PROPERTY);
        if (fixed == null) {
            return 0;
        }
        try {
            int n = Integer.parseInt(fixed.trim());
            if (n >= 1 && n <= 4096) {
                return n;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + " must be an integer in 1..4096, got '"
                    + fixed + "'", e);
        }
        throw new IllegalArgumentException("system property " + PROPERTY + " must be an integer in 1..4096, got '" + fixed + "'");
    }

    /**
     * The thread count for decoding a model, or 0 to keep the engine's default ({@link DeviceThreads}: on a GPU
     * always the default unless the property fixes it).
     *
     * @param model the model
     * @return the thread count, or 0
     * @throws IllegalArgumentException naming the property when it is set to something else than a positive integer
     */
    public static int forModel(LlamaModel model) {
        return DeviceThreads.forModel(model, 1).intraOpThreads();
    }

    /**
     * Sets this thread's count for decoding a model, for good: for threads the library owns and keeps
     * (the self-speculative pipeline's drafters), where restoring would only cost a resize per use.
     *
     * @param model the model
     */
    public static void setForThisThread(LlamaModel model) {
        int n = forModel(model);
        if (!Engine.hasEngine("PyTorch")) {
            return;
        }
        int current = JniUtils.getNumThreads();
        if (FIRST_COUNT.get() == null) {
            FIRST_COUNT.set(current); // the engine's default for this thread, kept for models that use it
        }
        int wanted = n != 0 ? n : FIRST_COUNT.get();
        if (current != wanted) {
            JniUtils.setNumThreads(wanted);
        }
    }

    /** Restores the thread's previous count when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Sets this thread's count for decoding a model until the scope closes.
     *
     * @param model the model
     * @return the scope (a no-op when the count stays the default or the engine is not PyTorch)
     */
    public static Scope use(LlamaModel model) {
        int n = forModel(model);
        if (n == 0 || !Engine.hasEngine("PyTorch")) {
            return () -> { };
        }
        int previous = JniUtils.getNumThreads();
        if (previous == n) {
            return () -> { };
        }
        JniUtils.setNumThreads(n);
        return () -> JniUtils.setNumThreads(previous);
    }
}
