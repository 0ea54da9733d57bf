package dev.layerskip.generate;

import dev.layerskip.tokenizer.TextTokenizer;

import java.util.Arrays;

/**
 * Collects generated tokens, streams them to the listener with their text, and decides when to
 * stop (EOS, stop strings, max_new_tokens). Shared by every generator so they stop identically.
 */
final class OutputCollector {

    private final GenerationConfig config;
    private final TextTokenizer tokenizer;
    private final TokenListener listener;
    private final int limit;
    private int[] tokens = new int[16];
    private int count;
    private String text = "";
    private int streamed;
    private FinishReason finish;

    /**
     * @param config the generation settings
     * @param tokenizer decodes text, or null (then stop strings are not allowed)
     * @param listener receives tokens
     * @param limit the most tokens to accept (max_new_tokens, or less when the context is short)
     */
    OutputCollector(GenerationConfig config, TextTokenizer tokenizer, TokenListener listener, int limit) {
        if (tokenizer == null && !config.stopStrings().isEmpty()) {
            throw new IllegalArgumentException("stop strings need a tokenizer");
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.listener = listener;
        this.limit = limit;
    }

    /**
     * Accepts one token: streams it and checks the stop conditions.
     *
     * @param token the token id
     * @return true when generation must stop after this token
     */
    boolean accept(int token) {
        if (finish != null) {
            throw new IllegalStateException("generation already finished: " + finish);
        }
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, count * 2);
        }
        tokens[count++] = token;
        if (config.eosTokenIds().contains(token)) {
            finish = FinishReason.EOS;
        }
        String delta = "";
        if (tokenizer != null) {
            int previousLength = text.length();
            text = tokenizer.decode(Arrays.copyOf(tokens, count));
            for (String stop : config.stopStrings()) {
                if (finish == null && text.indexOf(stop, Math.max(0, previousLength - stop.length())) >= 0) {
                    finish = FinishReason.STOP_STRING;
                }
            }
        }
        if (finish == null && count >= limit) {
            finish = FinishReason.LENGTH;
        }
        if (tokenizer != null && text.length() > streamed && (finish != null || !text.endsWith("\uFFFD"))) {
            // hold back a trailing partial character until it completes or generation ends
            delta = text.substring(streamed);
            streamed = text.length();
        }
        listener.onToken(token, delta);
        return finish != null;
    }

    /** @return how many tokens were accepted */
    int count() {
        return count;
    }

    /** @return how many more tokens may be accepted */
    int remaining() {
        return limit - count;
    }

    /** @return the accepted tokens */
    int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    /** @return the decoded text (empty without a tokenizer) */
    String text() {
        return text;
    }

    /** @return why generation stopped, or LENGTH if it was cut short by the caller */
    FinishReason finishReason() {
        return finish == null ? FinishReason.LENGTH : finish;
    }
}
