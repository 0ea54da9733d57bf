package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;

/**
 * One position the drafting thread of a {@link SpeculativePipeline} has computed.
 *
 * @param exitState x_E at this position, [1, 1, hidden]; the verifier closes it
 * @param draft the greedy draft for the next position (fed there)
 * @param nanos how long the draft step took
 */
record DraftedPosition(NDArray exitState, int draft, long nanos) {}
