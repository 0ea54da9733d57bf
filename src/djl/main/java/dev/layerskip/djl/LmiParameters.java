package dev.layerskip.djl;

import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.LogprobOptions;

/**
 * The {@code parameters} object of an LMI text-generation request: what to generate, as the core
 * {@link GenerationRequest} every front end maps into (LMI's and TGI's fields plus this project's {@code strategy},
 * {@code exit_layer}, {@code num_speculations}, {@code draft_confidence}; null fields take the model's defaults,
 * {@link GenerationArguments}), and the fields that shape LMI's answer.
 *
 * @param generation what to generate; its log-probabilities follow from the fields below
 * @param details whether the response carries {@code details}
 * @param returnFullText return_full_text: prefix the prompt to generated_text
 * @param topNTokens top_n_tokens (TGI / LMI): the most likely tokens at each generated position, with their
 *     log-probabilities, in details.top_tokens; 0..{@value LogprobOptions#MAX_TOP}, 0 = none
 * @param decoderInputDetails decoder_input_details (TGI / LMI): the prompt's tokens with their log-probabilities
 *     in details.prefill (not with streaming)
 */
public record LmiParameters(GenerationRequest generation, boolean details, boolean returnFullText, int topNTokens,
        boolean decoderInputDetails) {

    /** No parameter set: every value from the model's defaults. */
    public static final LmiParameters NONE = new LmiParameters(GenerationRequest.NONE, false, false, 0, false);

    /** Checks top_n_tokens; with details, the generation reports the log-probabilities the answer shows. */
    public LmiParameters {
        if (generation == null) {
            throw new IllegalArgumentException("generation must not be null (GenerationRequest.NONE = the defaults)");
        }
        if (topNTokens < 0 || topNTokens > LogprobOptions.MAX_TOP) {
            throw new IllegalArgumentException("top_n_tokens must be in 0.." + LogprobOptions.MAX_TOP + ", got " + topNTokens);
        }
        if (details || topNTokens > 0 || decoderInputDetails) { // LMI's tokens carry log_prob
            generation = generation.toBuilder().optLogprobs(new LogprobOptions(topNTokens, decoderInputDetails)).build();
        }
    }

    /**
     * Parameters without LMI's answer fields, e.g. for a request that came through another protocol.
     *
     * @param generation what to generate
     * @return the parameters
     */
    public static LmiParameters of(GenerationRequest generation) {
        return new LmiParameters(generation, false, false, 0, false);
    }

    /** @return whether the response carries details: asked for, or implied by top_n_tokens or decoder_input_details */
    public boolean wantsDetails() {
        return details || topNTokens > 0 || decoderInputDetails;
    }
}
