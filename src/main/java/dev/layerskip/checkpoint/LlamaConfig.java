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

    /** Validates the sizes: every one positive, heads divisible into groups. */
    public LlamaConfig {
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numLayers);
        requirePositive("num_attention_heads", numHeads);
        requirePositive("num_key_value_heads", numKvHeads);
        requirePositive("head_dim", headDim);
        requirePositive("vocab_size", vocabSize);
        requirePositive("max_position_embeddings", maxPositions);
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
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
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

    private static void requirePositive(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be >= 1, got " + value);
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
