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
     * returns the exit head's logits after the last one. Intermediate arrays live in a scope.
     *
     * @param model the model
     * @param generation the generation's manager
     * @param ids the tokens
     * @param toLayer the exit layer E
     * @param cache the cache
     * @return the logits, [vocab]
     */
    static float[] lastLogits(LlamaModel model, NDManager generation, int[] ids, int toLayer, KvCache cache) {
        int start = cache.length();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = generation.create(ids).reshape(1, ids.length); // [1, seq]
            NDArray hidden = model.forwardLayers(model.embed(input), 0, toLayer, cache, start); // [1, seq, hidden]
            NDArray last = hidden.get(new NDIndex().addAllDim().addSliceDim(ids.length - 1, ids.length)); // [1, 1, hidden]
            NDArray head = model.exitHead(last); // [1, 1, vocab]
            FiniteCheck.requireFinite(head, "exit layer " + toLayer + ", position " + (start + ids.length - 1));
            float[] logits = head.toFloatArray(); // [vocab]
            cache.commit(start + ids.length);
            return logits;
        }
    }
}
