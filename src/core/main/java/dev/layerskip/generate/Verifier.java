package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

/**
 * The verify and commit stages of self-speculative decoding (<a href="https://arxiv.org/abs/2404.16710">
 * Elhoushi et al., 2024</a>, §4.2), shared by rounds, the pipeline and rolling batches: layers [E, L)
 * and the full head run once over the kept x_E of every position to verify (no layer runs twice for a
 * position), and each row commits what {@link Verification#emitted} accepted.
 */
final class Verifier {

    private final LlamaModel model;
    private final int exitLayer;
    private final KvCache cache;

    /**
     * @param model the model
     * @param exitLayer E in 1..L-1: verification runs [E, L)
     * @param cache the generation's cache (every layer)
     */
    Verifier(LlamaModel model, int exitLayer, KvCache cache) {
        this.model = model;
        this.exitLayer = exitLayer;
        this.cache = cache;
    }

    /**
     * Runs layers [E, L) and the full head over kept exit states.
     *
     * @param kept x_E of the positions to verify, [rows, steps, hidden]
     * @param positions each row's lane, first position and how many of its steps are real
     * @return the full model's logits at every position
     */
    Verification verify(NDArray kept, RowPositions positions) {
        NDArray logits = model.exitHead(model.forwardLayers(kept, exitLayer, model.numLayers(), cache,
                positions, ForwardPath.FUSED), ForwardPath.FUSED); // [rows, steps, vocab]
        return new Verification(logits, model.numLayers());
    }

    /**
     * Commits one row's accepted tokens: positions start .. start+k hold the token fed at start and the
     * k accepted drafts, the rest of the lane is discarded (a pointer move); then the statistics, the
     * listener and the row's output.
     *
     * @param row the row
     * @param lane its cache lane
     * @param start the position of the token fed first
     * @param emitted the accepted drafts and the full model's token
     * @param checked the drafts this round checked against the full model
     * @param agreed how many of them agreed
     * @param timer the round's timer
     * @param logprobs the tokens' log-probabilities ({@link Verification#logprobs}), or null
     */
    void commit(BatchRow row, int lane, int start, int[] emitted, int[] checked, int agreed, RoundTimer timer,
            TokenLogprob[] logprobs) {
        cache.commit(lane, start + emitted.length);
        row.cacheProbe.accept(cache.length(lane));
        row.stats.record(checked.length, agreed, timer.draftNanos(), timer.verifyNanos());
        row.listener.onDraft(checked, agreed);
        row.acceptStep(emitted, logprobs);
    }
}
