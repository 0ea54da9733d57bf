package dev.layerskip.generate;

/**
 * One draft token and what the accept rule and the draft policy need about it.
 *
 * @param token the drafted token id
 * @param distribution the draft distribution q it was drawn from (sampling), or null (greedy)
 * @param confidence the draft's top probability, or 1 when not asked for
 */
record DraftPick(int token, double[] distribution, double confidence) {}
