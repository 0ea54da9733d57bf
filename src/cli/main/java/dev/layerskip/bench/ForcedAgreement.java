package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.TensorEdit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Weights for a speed-up ceiling, made as a model is loaded or drawn ({@link TensorEdit}): the model is built
 * from them and never changed afterwards, and the checkpoint's files are not touched.
 *
 * <p>Layers {@code [from, L)} become inert: their attention output and MLP down projections read as zeros, so
 * each of those layers adds nothing to the residual stream (x_{l+1} = x_l) while costing exactly what it cost
 * before. Exit E ≥ {@code from} then predicts the full model's token at every position, every draft is accepted,
 * and a benchmark measures the implementation rather than the model's quality.
 */
public final class ForcedAgreement {

    private static final Pattern OUTPUT_PROJECTION =
            Pattern.compile("model\\.layers\\.(\\d+)\\.(self_attn\\.o_proj|mlp\\.down_proj)\\.weight");

    private ForcedAgreement() {}

    /**
     * Makes layers {@code from .. L-1} inert: their {@code o_proj} and {@code down_proj} are read as zeros (an
     * int8 checkpoint's stored rows too; their scales stay, so every output is exactly 0).
     *
     * @param config the model's configuration
     * @param from the first inert layer, in 1..L-1
     * @return the edit
     */
    public static TensorEdit inertFrom(LlamaConfig config, int from) {
        int layers = config.numLayers();
        if (from < 1 || from >= layers) {
            throw new IllegalArgumentException("--agree-from must be in 1.." + (layers - 1) + ", got " + from);
        }
        return (name, firstRow, stored) -> {
            Matcher m = OUTPUT_PROJECTION.matcher(name);
            return m.matches() && Integer.parseInt(m.group(1)) >= from ? stored.zerosLike() : stored;
        };
    }

    /**
     * For forced agreement with a draft vocabulary: the LM head's rows of every token outside the given ids read
     * as zeros (for a tied head, the embedding's rows, so those tokens also embed to zero). Those tokens then score
     * exactly 0 while the ids keep their logits, so the full model's choice lies among the ids whenever one of them
     * scores above 0, which a random head gives at every step (the maximum of N symmetric random logits); a draft
     * over the ids then proposes the full model's token and every draft is accepted, as without a draft vocabulary.
     *
     * @param config the model's configuration
     * @param ids the draft vocabulary to keep
     * @return the edit
     */
    public static TensorEdit restrictedHead(LlamaConfig config, int[] ids) {
        int v = config.vocabSize();
        boolean[] keep = new boolean[v];
        for (int id : ids) {
            if (id < 0 || id >= v) {
                throw new IllegalArgumentException("draft vocabulary id " + id + " outside 0.." + (v - 1));
            }
            keep[id] = true;
        }
        String head = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        return (name, firstRow, stored) -> {
            if (!name.equals(head)) {
                return stored;
            }
            int rows = Math.toIntExact(stored.getShape().get(0));
            boolean[] slice = java.util.Arrays.copyOfRange(keep, Math.toIntExact(firstRow), Math.toIntExact(firstRow) + rows);
            NDArray kept = stored.getManager().create(slice, new Shape(rows, 1)).broadcast(stored.getShape()); // [rows, hidden]
            return NDArrays.where(kept, stored, stored.zerosLike()); // [rows, hidden]: a selection, exact in every format
        };
    }
}
