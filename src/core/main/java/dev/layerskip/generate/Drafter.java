package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

/**
 * The draft stage of self-speculative decoding (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et
 * al., 2024</a>, §4.2): feeds one token per row through layers [0, E), writing those layers' cache
 * entries and returning x_E (the exit query cache that verification goes on from), and picks drafts
 * from the draft scorer's logits. Rounds and the pipeline's drafting thread both draft through it.
 */
final class Drafter {

    private final LlamaModel model;
    private final int exitLayer;
    private final DraftScorer scorer;
    private final KvCache cache;

    /**
     * @param model the model
     * @param exitLayer E in 1..L-1
     * @param scorer how drafts are scored
     * @param cache the generation's cache (every layer)
     */
    Drafter(LlamaModel model, int exitLayer, DraftScorer scorer, KvCache cache) {
        this.model = model;
        this.exitLayer = exitLayer;
        this.scorer = scorer;
        this.cache = cache;
    }

    /**
     * Feeds one token per row through layers [0, E).
     *
     * @param manager where the input ids are created
     * @param tokens one token per row
     * @param positions each row's lane and position (one per row; padding rows go to the scratch slot)
     * @return x_E, [rows, 1, hidden]
     */
    NDArray feed(NDManager manager, int[] tokens, RowPositions positions) {
        NDArray x = model.embed(manager.create(tokens).reshape(tokens.length, 1)); // [rows, 1, hidden]
        return model.forwardLayers(x, 0, exitLayer, cache, positions, ForwardPath.FUSED); // [rows, 1, hidden]
    }

    /**
     * Scores the next drafts of every row.
     *
     * @param exitState x_E from {@link #feed}, [rows, 1, hidden]
     * @param rows how many rows
     * @return a picker over the draft logits
     */
    DraftPicker picker(NDArray exitState, int rows) {
        return new DraftPicker(scorer, scorer.logits(exitState), rows); // logits: [rows, 1, N or vocab]
    }
}
