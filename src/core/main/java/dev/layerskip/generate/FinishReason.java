package dev.layerskip.generate;

/** Why generation stopped. */
public enum FinishReason {
    /** max_new_tokens reached, or the context is full. */
    LENGTH,
    /** An end-of-sequence token was generated. */
    EOS,
    /** The text contains a stop string. */
    STOP_STRING,
    /** The listener cancelled generation (e.g. a streaming client disconnected). */
    CANCELLED
}
