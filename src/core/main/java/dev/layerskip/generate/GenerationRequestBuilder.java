package dev.layerskip.generate;

import java.util.List;

/**
 * Builds a {@link GenerationRequest} the way DJL's builders read: one {@code optX} per field, each optional;
 * {@link #build} checks every range.
 */
public final class GenerationRequestBuilder {

    private Integer maxNewTokens;
    private Boolean doSample;
    private Double temperature;
    private Integer topK;
    private Double topP;
    private Long seed;
    private List<String> stopSequences = List.of();
    private DecodingStrategy strategy;
    private Integer exitLayer;
    private Integer numSpeculations;
    private Double draftConfidence;
    private boolean adaptiveDrafts;
    private Double repetitionPenalty;
    private Integer noRepeatNgramSize;
    private Double presencePenalty;
    private Double frequencyPenalty;
    private boolean ignoreEos;
    private Integer truncate;
    private LogprobOptions logprobs = LogprobOptions.NONE;

    GenerationRequestBuilder() {
    }

    GenerationRequestBuilder(GenerationRequest r) {
        maxNewTokens = r.maxNewTokens();
        doSample = r.doSample();
        temperature = r.temperature();
        topK = r.topK();
        topP = r.topP();
        seed = r.seed();
        stopSequences = r.stopSequences();
        strategy = r.strategy();
        exitLayer = r.exitLayer();
        numSpeculations = r.numSpeculations();
        draftConfidence = r.draftConfidence();
        adaptiveDrafts = r.adaptiveDrafts();
        repetitionPenalty = r.repetitionPenalty();
        noRepeatNgramSize = r.noRepeatNgramSize();
        presencePenalty = r.presencePenalty();
        frequencyPenalty = r.frequencyPenalty();
        ignoreEos = r.ignoreEos();
        truncate = r.truncate();
        logprobs = r.logprobs();
    }

    /**
     * @param v max_new_tokens, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optMaxNewTokens(Integer v) {
        maxNewTokens = v;
        return this;
    }

    /**
     * @param v do_sample, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optDoSample(Boolean v) {
        doSample = v;
        return this;
    }

    /**
     * @param v temperature, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optTemperature(Double v) {
        temperature = v;
        return this;
    }

    /**
     * @param v top_k, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optTopK(Integer v) {
        topK = v;
        return this;
    }

    /**
     * @param v top_p, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optTopP(Double v) {
        topP = v;
        return this;
    }

    /**
     * @param v the sampling seed, or null for a fresh one
     * @return this builder
     */
    public GenerationRequestBuilder optSeed(Long v) {
        seed = v;
        return this;
    }

    /**
     * @param v stop sequences (null or empty: none of its own)
     * @return this builder
     */
    public GenerationRequestBuilder optStopSequences(List<String> v) {
        stopSequences = v == null ? List.of() : v;
        return this;
    }

    /**
     * @param v the decoding strategy, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optStrategy(DecodingStrategy v) {
        strategy = v;
        return this;
    }

    /**
     * @param v exit_layer E, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optExitLayer(Integer v) {
        exitLayer = v;
        return this;
    }

    /**
     * @param v num_speculations d, or null for the default
     * @return this builder
     */
    public GenerationRequestBuilder optNumSpeculations(Integer v) {
        numSpeculations = v;
        return this;
    }

    /**
     * @param v draft_confidence as written: a number in (0, 1) or {@code auto} (adaptive drafts), or null for the default
     * @return this builder
     * @throws RequestFieldException if it is neither
     */
    public GenerationRequestBuilder optDraftConfidence(String v) {
        draftConfidence = null;
        adaptiveDrafts = false;
        if (v != null && v.trim().equalsIgnoreCase("auto")) {
            adaptiveDrafts = true;
        } else if (v != null) {
            try {
                draftConfidence = Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw new RequestFieldException("draft_confidence", "must be in (0, 1) or \"auto\", got " + v);
            }
        }
        return this;
    }

    /**
     * @param v repetition_penalty, or null for the defaults' (else the checkpoint's)
     * @return this builder
     */
    public GenerationRequestBuilder optRepetitionPenalty(Double v) {
        repetitionPenalty = v;
        return this;
    }

    /**
     * @param v no_repeat_ngram_size, or null for the defaults' (else the checkpoint's)
     * @return this builder
     */
    public GenerationRequestBuilder optNoRepeatNgramSize(Integer v) {
        noRepeatNgramSize = v;
        return this;
    }

    /**
     * @param v presence_penalty, or null for none
     * @return this builder
     */
    public GenerationRequestBuilder optPresencePenalty(Double v) {
        presencePenalty = v;
        return this;
    }

    /**
     * @param v frequency_penalty, or null for none
     * @return this builder
     */
    public GenerationRequestBuilder optFrequencyPenalty(Double v) {
        frequencyPenalty = v;
        return this;
    }

    /**
     * @param v whether to go on past end-of-sequence ids
     * @return this builder
     */
    public GenerationRequestBuilder optIgnoreEos(boolean v) {
        ignoreEos = v;
        return this;
    }

    /**
     * @param v keep only the last N prompt tokens, or null for the whole prompt
     * @return this builder
     */
    public GenerationRequestBuilder optTruncate(Integer v) {
        truncate = v;
        return this;
    }

    /**
     * @param v which log-probabilities to report (null: none)
     * @return this builder
     */
    public GenerationRequestBuilder optLogprobs(LogprobOptions v) {
        logprobs = v == null ? LogprobOptions.NONE : v;
        return this;
    }

    /**
     * @return the request
     * @throws RequestFieldException naming the first field out of its range
     */
    public GenerationRequest build() {
        return new GenerationRequest(maxNewTokens, doSample, temperature, topK, topP, seed, stopSequences, strategy,
                exitLayer, numSpeculations, draftConfidence, adaptiveDrafts, repetitionPenalty, noRepeatNgramSize,
                presencePenalty, frequencyPenalty, ignoreEos, truncate, logprobs);
    }
}
