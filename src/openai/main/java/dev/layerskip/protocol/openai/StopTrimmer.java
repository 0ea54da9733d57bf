package dev.layerskip.protocol.openai;

import java.util.List;

/**
 * Cuts generated text before the first stop sequence, as OpenAI's API does (the stop sequence is not
 * part of the answer), while streaming: text that could be the start of a stop sequence is held back
 * until it is known not to be one. Not thread-safe: one per generation.
 */
public final class StopTrimmer {

    private final List<String> stops;
    private final int holdBack;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private int end = -1;

    /**
     * @param stops the stop sequences (none empty)
     */
    public StopTrimmer(List<String> stops) {
        this.stops = List.copyOf(stops);
        for (String s : this.stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop sequences must not be empty");
            }
        }
        this.holdBack = this.stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /**
     * Takes the next piece of generated text.
     *
     * @param delta the new text
     * @return the text that can be sent now (possibly empty)
     */
    public String accept(String delta) {
        if (end >= 0) {
            return "";
        }
        int searchFrom = Math.max(0, text.length() - holdBack);
        text.append(delta);
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, searchFrom);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            end = first;
            return take(first);
        }
        return take(Math.max(emitted, text.length() - holdBack));
    }

    /**
     * Ends the text: returns whatever was held back (nothing after a stop sequence).
     *
     * @return the rest to send
     */
    public String finish() {
        return take(end >= 0 ? end : text.length());
    }

    /** @return whether a stop sequence was found */
    public boolean stopped() {
        return end >= 0;
    }

    /** @return all text sent so far */
    public String sent() {
        return text.substring(0, emitted);
    }

    private String take(int upTo) {
        if (upTo <= emitted) {
            return "";
        }
        String out = text.substring(emitted, upTo);
        emitted = upTo;
        return out;
    }
}
