package dev.layerskip.protocol.openai;

import java.util.List;

/**
 * A request to {@code /v1/completions} (a prompt) or {@code /v1/chat/completions} (messages), with the
 * sampling settings this server implements and LayerSkip's extra body fields. A null setting means the
 * server's default.
 *
 * @param model the model name the client asked for, or null
 * @param prompt the prompt of a completion request, or null for chat
 * @param messages the messages of a chat request (empty for a completion)
 * @param maxTokens max_tokens (or max_completion_tokens), ≥ 1
 * @param maxTokensField which of the two the client sent ({@code max_tokens} or {@code max_completion_tokens}), or null
 * @param temperature temperature in [0, 2]; 0 means greedy decoding
 * @param topP top_p in (0, 1]
 * @param seed the sampling seed
 * @param stop stop sequences (at most 4, none empty); the text ends before the first one
 * @param stream whether to answer with server-sent events
 * @param includeUsage stream_options.include_usage: a last chunk carries the token counts
 * @param strategy LayerSkip: autoregressive, early-exit or self-speculative
 * @param exitLayer LayerSkip: the exit layer E
 * @param numSpeculations LayerSkip: tokens drafted per self-speculative round
 * @param presencePenalty presence_penalty in [-2, 2], 0 = off
 * @param frequencyPenalty frequency_penalty in [-2, 2], 0 = off
 * @param n how many choices, 1..{@link OpenAiRequestParser#MAX_N}
 * @param logprobs how many alternatives each token's log-probability carries (chat: top_logprobs with
 *     logprobs true; completions: logprobs 0..5), or -1 for no log-probabilities
 * @param echo completions: the prompt is returned before the text (with its tokens' log-probabilities when
 *     logprobs is set)
 * @param responseFormat chat: the schema the answer's JSON follows ({@code response_format} {@code json_object} or
 *     {@code json_schema}), or null for text
 */
public record OpenAiRequest(String model, String prompt, List<ChatMessage> messages, Integer maxTokens, String maxTokensField,
        Double temperature, Double topP, Long seed, List<String> stop, boolean stream, boolean includeUsage,
        String strategy, Integer exitLayer, Integer numSpeculations, double presencePenalty, double frequencyPenalty,
        int n, int logprobs, boolean echo, dev.layerskip.generate.structured.SchemaNode responseFormat) {

    /** Copies the lists; exactly one of prompt and messages is given. */
    public OpenAiRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        stop = stop == null ? List.of() : List.copyOf(stop);
        if ((prompt == null) == messages.isEmpty()) {
            throw new IllegalArgumentException("a request has either a prompt or messages");
        }
        if (n < 1 || n > OpenAiRequestParser.MAX_N) {
            throw new IllegalArgumentException("n must be in 1.." + OpenAiRequestParser.MAX_N + ", got " + n);
        }
        if (logprobs < -1 || logprobs > 20) {
            throw new IllegalArgumentException("logprobs must be in -1..20, got " + logprobs);
        }
        if (echo && prompt == null) {
            throw new IllegalArgumentException("echo is a completions field");
        }
    }

    /** @return whether this is a chat request */
    public boolean chat() {
        return prompt == null;
    }
}
