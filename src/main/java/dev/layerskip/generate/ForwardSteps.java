package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;

/** The cached forward step shared by the generators: prefill and autoregressive decoding. */
final class ForwardSteps {

    private ForwardSteps() {}

    /**
     * Feeds tokens at the cache's next positions through layers [0, toLayer), commits them, and
     * chooses the next token from the exit head's logits after the last one. Greedy decoding takes
     * the argmax on the device and copies one id; sampling copies the logits. Intermediate arrays
     * live in a scope.
     *
     * @param model the model
     * @param generation the generation's manager
     * @param ids the tokens
     * @param toLayer the exit layer E
     * @param cache the cache
     * @param sampler greedy or sampling, with its random stream
     * @param penalties repetition control with the tokens before the predicted position; when active the
     *     logits are copied and penalised on the host, else greedy keeps the on-device argmax
     * @return the next token
     */
    static int nextToken(LlamaModel model, NDManager generation, int[] ids, int toLayer, KvCache cache, Sampler sampler,
            RepetitionProcessor penalties) {
        int start = cache.length();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = generation.create(ids).reshape(1, ids.length); // [1, seq]
            NDArray hidden = model.forwardLayers(model.embed(input), 0, toLayer, cache, start); // [1, seq, hidden]
            NDArray last = ids.length == 1
                    ? hidden
                    : hidden.get(new NDIndex().addAllDim().addSliceDim(ids.length - 1, ids.length)); // [1, 1, hidden]
            NDArray logits = model.exitHead(last); // [1, 1, vocab]
            FiniteCheck.requireFinite(logits, "exit layer " + toLayer + ", position " + (start + ids.length - 1));
            cache.commit(start + ids.length);
            if (penalties.active()) {
                return sampler.next(penalties.apply(logits.toFloatArray()));
            }
            return sampler.config().isGreedy() ? argmaxRows(logits)[0] : sampler.next(logits.toFloatArray());
        }
    }

    /**
     * The argmax of every row, computed on the device; only the ids are copied. Ties go to the
     * lowest id, as in {@link Sampler#argmax}.
     *
     * @param logits [1, rows, vocab]
     * @return rows ids
     */
    static int[] argmaxRows(NDArray logits) {
        long[] ids = logits.argMax(2).toLongArray(); // [1, rows]
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }
}
