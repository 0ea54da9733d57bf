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
    private final java.util.List<TokenLogprob> logprobs = new java.util.ArrayList<>();
    private final TokenListener listener;
    private final int limit;
    private int[] tokens = new int[16];
    private int count;
    private final StringBuilder text = new StringBuilder();
    private int prefixOffset;
    private int readOffset;
    private FinishReason finish;
    private final int longestStop;

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
        this.longestStop = config.stopStrings().stream().mapToInt(String::length).max().orElse(0);
    }

    /**
     * Accepts one token: streams it and checks the stop conditions.
     *
     * @param token the token id
     * @param logprob its log-probability, or null when none is reported
     * @return true when generation must stop after this token
     */
    boolean accept(int token, TokenLogprob logprob) {
        if (finish != null) {
            throw new IllegalStateException("generation already finished: " + finish);
        }
        if (logprob != null) {
            logprobs.add(logprob);
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
            // Incremental decoding: decode only the tokens since the last emitted boundary (constant work
            // per token); hold back text that ends in a partial character until it completes.
            String before = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, readOffset));
            String window = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, count));
            String pending = window.length() > before.length() ? window.substring(before.length()) : "";
            int previousLength = text.length();
            if (!pending.isEmpty() && !window.endsWith("\uFFFD")) {
                delta = pending;
                text.append(delta);
                pending = "";
                prefixOffset = readOffset;
                readOffset = count;
            }
            if (!config.stopStrings().isEmpty() && finish == null && stopStringEnds(previousLength, pending)) {
                finish = FinishReason.STOP_STRING;
            }
        }
        if (finish == null && count >= limit) {
            finish = FinishReason.LENGTH;
        }
        if (finish != null && tokenizer != null) {
            delta += flushHeldBack();
        }
        if (logprob != null) {
            listener.onLogprob(logprob);
        }
        listener.onToken(token, delta);
        if (finish == null && listener.cancelled()) {
            finish = FinishReason.CANCELLED;
        }
        return finish != null;
    }

    /**
     * Whether a stop string ends in the text emitted by this token or held back after it. Stop strings are
     * searched in the emitted text plus what is held back, only where a match could end in the new text: a
     * tail of bounded length, so the work per token does not grow with the output.
     */
    private boolean stopStringEnds(int previousLength, String pending) {
        int from = Math.max(0, previousLength - longestStop + 1);
        String tail = text.substring(from) + pending;
        for (String stop : config.stopStrings()) {
            if (tail.indexOf(stop, Math.max(0, previousLength - stop.length() + 1 - from)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Makes the text the decoding of all tokens and returns what was held back of it (the last delta's rest). */
    private String flushHeldBack() {
        String full = tokenizer.decode(Arrays.copyOf(tokens, count));
        String rest = full.startsWith(text.toString()) ? full.substring(text.length()) : "";
        text.setLength(0);
        text.append(full);
        return rest;
    }

    /** @return the generation settings */
    GenerationConfig config() {
        return config;
    }

    /** @return how many tokens were accepted */
    int count() {
        return count;
    }

    /** @return how many more tokens may be accepted */
    int remaining() {
        return limit - count;
    }

    /** @return the accepted tokens' log-probabilities (empty when none are reported) */
    java.util.List<TokenLogprob> logprobs() {
        return logprobs;
    }

    /** @return the accepted tokens */
    int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    /** @return the decoded text (empty without a tokenizer) */
    String text() {
        return text.toString();
    }

    /** @return why generation stopped, or LENGTH if it was cut short by the caller */
    FinishReason finishReason() {
        return finish == null ? FinishReason.LENGTH : finish;
    }
}
