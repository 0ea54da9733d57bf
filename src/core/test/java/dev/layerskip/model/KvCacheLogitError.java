package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.nio.file.Path;

/**
 * The largest absolute difference of the logits between a float32 KV cache and a 16-bit one, over a
 * prefill and then one-token cached steps (the same tokens for both). Runnable by hand on a large checkpoint:
 * {@code java -cp src/core/target/test-classes:target/layerskip.jar dev.layerskip.model.KvCacheLogitError DIR bfloat16 STEPS}.
 */
public final class KvCacheLogitError {

    private KvCacheLogitError() {}

    /**
     * What a comparison measured.
     *
     * @param maxAbsDiff max |logits(type) - logits(FLOAT32)|
     * @param maxAbsLogit max |logits(FLOAT32)|, the scale the difference is read against
     */
    public record Result(double maxAbsDiff, double maxAbsLogit) {}

    /**
     * @param dir a checkpoint directory (loaded with the default options)
     * @param type the cache type compared with FLOAT32
     * @param ids the tokens: all but the last {@code steps} are the prefill, the rest are fed one at a time
     * @param steps the cached one-token steps
     * @return max |logits(type) - logits(FLOAT32)| over the prefill's last position and every step, and the scale
     * @throws Exception if the checkpoint cannot be loaded
     */
    public static Result compare(Path dir, KvCacheType type, int[] ids, int steps) throws Exception {
        try (LoadedModel loaded = LoadedModel.load(dir, LoadOptions.CPU_DEFAULTS)) {
            InferenceMode.enterOnThisThread();
            float[][] reference = logits(loaded.model(), KvCacheType.FLOAT32, ids, steps);
            float[][] other = logits(loaded.model(), type, ids, steps);
            double worst = 0;
            double scale = 0;
            for (int s = 0; s < reference.length; s++) {
                for (int j = 0; j < reference[s].length; j++) {
                    worst = Math.max(worst, Math.abs(reference[s][j] - other[s][j]));
                    scale = Math.max(scale, Math.abs(reference[s][j]));
                }
            }
            return new Result(worst, scale);
        }
    }

    private static float[][] logits(LlamaModel model, KvCacheType type, int[] ids, int steps) {
        int layers = model.numLayers();
        int p = ids.length - steps;
        float[][] out = new float[steps + 1][];
        try (NDManager manager = model.manager().newSubManager();
                KvCache cache = new KvCache(manager, model.config(), 1, ids.length, layers, type)) {
            NDArray all = manager.create(ids).reshape(1, ids.length); // [1, seq]
            NDArray prompt = all.get(new NDIndex().addAllDim().addSliceDim(0, p)); // [1, p]
            NDArray hidden = model.forwardLayers(model.embed(prompt), 0, layers, cache, 0); // [1, p, hidden]
            cache.commit(p);
            NDArray last = hidden.get(new NDIndex().addAllDim().addSliceDim(p - 1, p)); // [1, 1, hidden]
            out[0] = model.exitHead(last).toFloatArray();
            for (int s = 0; s < steps; s++) {
                NDArray token = all.get(new NDIndex().addAllDim().addSliceDim(p + s, p + s + 1)); // [1, 1]
                NDArray h = model.forwardLayers(model.embed(token), 0, layers, cache, p + s); // [1, 1, hidden]
                cache.commit(p + s + 1);
                out[s + 1] = model.exitHead(h).toFloatArray();
            }
        }
        return out;
    }

    /**
     * Prints the error for a checkpoint.
     *
     * @param args DIR [float16|bfloat16] [steps]
     * @throws Exception if the checkpoint cannot be loaded
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        KvCacheType type = KvCacheType.parse(args.length > 1 ? args[1] : "bfloat16", "type");
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int[] ids = new int[32 + steps];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + (int) ((i * 2654435761L) % 1000); // a fixed, varied sequence inside every vocabulary
        }
        Result r = compare(dir, type, ids, steps);
        System.out.printf("%s, %s cache vs float32: max |logit diff| %.4g (max |logit| %.4g) over a 32-token prefill"
                + " and %d steps%n", dir, type.label(), r.maxAbsDiff(), r.maxAbsLogit(), steps);
    }
}
