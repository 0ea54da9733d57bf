package dev.layerskip.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.util.List;

/**
 * The architecture of a Llama-family decoder, as read from a Hugging Face {@code config.json}.
 *
 * <p>Covers every published LayerSkip checkpoint (Llama 2, CodeLlama, Llama 3, Llama 3.2): grouped
 * query attention, an explicit {@code head_dim}, RoPE with default, linear or llama3 scaling, tied
 * or separate LM head. Read one with {@link LlamaConfigJson#read(java.nio.file.Path)}.
 *
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size} of the SwiGLU MLP
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param numKvHeads {@code num_key_value_heads} (equals numHeads without GQA)
 * @param headDim {@code head_dim} (defaults to hiddenSize / numHeads)
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 * @param ropeScaling {@code rope_scaling}
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the LM head reuses the embedding matrix
 * @param vocabSize {@code vocab_size}
 * @param maxPositions {@code max_position_embeddings}
 * @param bosTokenId {@code bos_token_id}, or -1 when absent
 * @param eosTokenIds {@code eos_token_id} (an int or a list in the file)
 * @param torchDtype {@code torch_dtype} as written in the file (informational)
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        int vocabSize,
        int maxPositions,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    /** The largest {@code hidden_size} accepted (Llama 3.1 405B has 16,384). */
    public static final int MAX_HIDDEN_SIZE = 1 << 16;
    /** The largest {@code intermediate_size} accepted (Llama 3.1 405B has 53,248). */
    public static final int MAX_INTERMEDIATE_SIZE = 1 << 18;
    /** The largest {@code num_hidden_layers} accepted (Llama 3.1 405B has 126). */
    public static final int MAX_LAYERS = 1024;
    /** The largest {@code num_attention_heads} accepted. */
    public static final int MAX_HEADS = 1024;
    /** The largest {@code head_dim} accepted. */
    public static final int MAX_HEAD_DIM = 1024;
    /** The largest {@code vocab_size} accepted. */
    public static final int MAX_VOCAB_SIZE = 1 << 24;
    /** The largest {@code max_position_embeddings} accepted (Llama 3.1 has 131,072). */
    public static final int MAX_POSITIONS = 1 << 22;
    /** The most RoPE table entries (positions × head_dim) built: 2 tables of 256 MiB of FLOAT32. */
    public static final long MAX_ROPE_ENTRIES = 1L << 26;
    /** The largest {@code rms_norm_eps} accepted: it is a guard against division by zero, not a weight. */
    public static final double MAX_RMS_NORM_EPS = 1e-2;
    /** The largest {@code rope_theta} accepted. */
    public static final double MAX_ROPE_THETA = 1e12;

    /** Validates the sizes against the bounds above, heads divisible into groups, every number finite. */
    public LlamaConfig {
        requireIn("hidden_size", hiddenSize, 1, MAX_HIDDEN_SIZE);
        requireIn("intermediate_size", intermediateSize, 1, MAX_INTERMEDIATE_SIZE);
        requireIn("num_hidden_layers", numLayers, 1, MAX_LAYERS);
        requireIn("num_attention_heads", numHeads, 1, MAX_HEADS);
        requireIn("num_key_value_heads", numKvHeads, 1, numHeads);
        requireIn("head_dim", headDim, 1, MAX_HEAD_DIM);
        requireIn("vocab_size", vocabSize, 1, MAX_VOCAB_SIZE);
        requireIn("max_position_embeddings", maxPositions, 1, MAX_POSITIONS);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads ("
                            + numHeads
                            + ") must be a multiple of num_key_value_heads ("
                            + numKvHeads
                            + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
        }
        if ((long) maxPositions * headDim > MAX_ROPE_ENTRIES) {
            throw new IllegalArgumentException("max_position_embeddings (" + maxPositions + ") x head_dim (" + headDim
                    + ") = " + (long) maxPositions * headDim + " RoPE table entries exceeds the limit of "
                    + MAX_ROPE_ENTRIES);
        }
        if (!(rmsNormEps > 0 && rmsNormEps <= MAX_RMS_NORM_EPS)) {
            throw new IllegalArgumentException("rms_norm_eps must be a small positive number in (0, "
                    + MAX_RMS_NORM_EPS + "], got " + rmsNormEps);
        }
        if (!(ropeTheta > 0 && ropeTheta <= MAX_ROPE_THETA)) {
            throw new IllegalArgumentException("rope_theta must be in (0, " + MAX_ROPE_THETA + "], got " + ropeTheta);
        }
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        for (int id : eosTokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(
                        "eos_token_id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        if (bosTokenId >= vocabSize) {
            throw new IllegalArgumentException(
                    "bos_token_id " + bosTokenId + " is outside the vocabulary [0, " + vocabSize + ")");
        }
        if (torchDtype == null) {
            torchDtype = "float32";
        }
    }

    private static void requireIn(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be in " + min + ".." + max + ", got " + value);
        }
    }

    /** @return the number of query heads sharing one key/value head */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** @return the width of the fused q/k/v projection output */
    public int qkvWidth() {
        return (numHeads + 2 * numKvHeads) * headDim;
    }

    /**
     * Counts the parameters of a model with this configuration (the tied head counted once).
     *
     * @return the number of parameters
     */
    public long parameterCount() {
        long h = hiddenSize;
        long perLayer =
                h * qkvWidth()
                        + (long) numHeads * headDim * h
                        + 3L * h * intermediateSize
                        + 2 * h;
        long embed = (long) vocabSize * h;
        return embed + (tieWordEmbeddings ? 0 : embed) + numLayers * perLayer + h;
    }

    /**
     * Writes this configuration as a Hugging Face {@code config.json} object.
     *
     * @return the JSON object
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlamaForCausalLM");
        o.add("architectures", arch);
        o.addProperty("model_type", "llama");
        o.addProperty("hidden_size", hiddenSize);
        o.addProperty("intermediate_size", intermediateSize);
        o.addProperty("num_hidden_layers", numLayers);
        o.addProperty("num_attention_heads", numHeads);
        o.addProperty("num_key_value_heads", numKvHeads);
        o.addProperty("head_dim", headDim);
        o.addProperty("rms_norm_eps", rmsNormEps);
        o.addProperty("rope_theta", ropeTheta);
        if (ropeScaling.type() != RopeType.DEFAULT) {
            JsonObject rs = new JsonObject();
            rs.addProperty("rope_type", ropeScaling.type().name().toLowerCase(java.util.Locale.ROOT));
            rs.addProperty("factor", ropeScaling.factor());
            if (ropeScaling.type() == RopeType.LLAMA3) {
                rs.addProperty("low_freq_factor", ropeScaling.lowFreqFactor());
                rs.addProperty("high_freq_factor", ropeScaling.highFreqFactor());
                rs.addProperty(
                        "original_max_position_embeddings", ropeScaling.originalMaxPositions());
            }
            o.add("rope_scaling", rs);
        }
        o.addProperty("tie_word_embeddings", tieWordEmbeddings);
        o.addProperty("vocab_size", vocabSize);
        o.addProperty("max_position_embeddings", maxPositions);
        if (bosTokenId >= 0) {
            o.addProperty("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            o.addProperty("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            JsonArray eos = new JsonArray();
            eosTokenIds.forEach(eos::add);
            o.add("eos_token_id", eos);
        }
        o.addProperty("torch_dtype", torchDtype);
        o.addProperty("hidden_act", "silu");
        o.addProperty("attention_bias", false);
        o.addProperty("mlp_bias", false);
        return o;
    }
}
