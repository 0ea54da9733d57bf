package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * What every layer of one forward pass shares about positions: the RoPE tables of the new
 * positions and, when more than one position is new, the causal mask. Built once per pass, not
 * once per layer.
 */
final class StepPositions {

    private static final float MASKED = -1e9f;

    final int start;
    final int length;
    final NDArray[] ropeTables; // {cos, sin}, each [1, length, 1, headDim]
    final NDArray mask; // [length, start+length], 0 where visible, -1e9 where in the future; null when length == 1

    StepPositions(NDManager manager, Rope rope, int start, int length) {
        if (start < 0 || length < 1 || start + length > rope.maxPositions()) {
            throw new IllegalArgumentException(
                    "positions [" + start + ", " + (start + length) + ") outside the context of "
                            + rope.maxPositions() + " positions");
        }
        this.start = start;
        this.length = length;
        this.ropeTables = rope.tables(start, length);
        if (length == 1) {
            mask = null; // a single new position sees every cached one
        } else {
            int total = start + length;
            NDArray keyPos = manager.arange(0, total, 1, DataType.INT32).reshape(1, total); // [1, total]
            NDArray queryPos = manager.arange(start, total, 1, DataType.INT32).reshape(length, 1); // [length, 1]
            NDArray future = keyPos.gt(queryPos); // [length, total]
            mask = future.toType(DataType.FLOAT32, false).mul(MASKED); // [length, total]
        }
    }
}
