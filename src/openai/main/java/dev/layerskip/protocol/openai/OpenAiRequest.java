package dev.layerskip.protocol.openai;

import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.structured.SchemaNode;

import java.util.List;

/**
 * A request to {@code /v1/completions} (a prompt) or {@code /v1/chat/completions} (messages), with the
 * sampling settings this server implements and LayerSkip's extra body fields. A null setting means the
 * server's default.
 *
 * @param model the model name the client asked for, or null
 * @param prompt the prompt of a completion request, or null for chat
 * @param messages the messages of a chat request (empty for a completion)
 * @param generation what to generate, as the core request every front end maps into: max_tokens (or
 *     max_completion_tokens) as max_new_tokens, temperature (0 = greedy), top_p, seed, stop, presence_penalty,
 *     frequency_penalty, and LayerSkip's strategy, exit_layer and num_speculations
 * @param maxTokensField which of max_tokens and max_completion_tokens the client sent, or null
 * @param stream whether to answer with server-sent events
 * @param includeUsage stream_options.include_usage: a last chunk carries the token counts
 * @param n how many choices, 1..{@link OpenAiRequestParser#MAX_N}
 * @param logprobs how many alternatives each token's log-probability carries (chat: top_logprobs with
 *     logprobs true; completions: logprobs 0..5), or -1 for no log-probabilities
 * @param echo completions: the prompt is returned before the text (with its tokens' log-probabilities when
 *     logprobs is set)
 * @param responseFormat chat: the schema the answer's JSON follows ({@code response_format} {@code json_object} or
 *     {@code json_schema}), or null for text
 */
public record OpenAiRequest(String model, String prompt, List<ChatMessage> messages, GenerationRequest generation,
        String maxTokensField, boolean stream, boolean includeUsage, int n, int logprobs, boolean echo,
        SchemaNode responseFormat) {

    /** Copies the lists; exactly one of prompt and messages is given. */
    public OpenAiRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        if (generation == null) {
            throw new IllegalArgumentException("generation must not be null (GenerationRequest.NONE = the defaults)");
        }
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

    /** @return max_tokens (or max_completion_tokens), or null for the server's default */
    public Integer maxTokens() {
        return generation.maxNewTokens();
    }

    /** @return the stop sequences (none empty, at most 4) */
    public List<String> stop() {
        return generation.stopSequences();
    }

    /** @return whether this is a chat request */
    public boolean chat() {
        return prompt == null;
    }
}
