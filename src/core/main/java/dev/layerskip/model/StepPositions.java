package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What every layer of one forward pass shares about positions: the RoPE tables of the new
 * positions, the mask, and where the cache writes them. Built once per pass, not once per layer.
 *
 * <p>An aligned pass (every row at the same position, see {@link RowPositions#isAligned}) slices
 * the tables and needs a mask only for more than one new position. Otherwise the tables are gathered
 * per row, the mask hides from each query every slot after its own position (and the scratch slot),
 * and the cache writes through index arrays.
 */
final class StepPositions {

    private static final float MASKED = -1e9f;

    final RowPositions rows;
    final boolean aligned;
    final int start; // aligned passes: the common first position
    final int total; // how many cache slots (or, without a cache, positions) the pass attends over
    final NDArray[] ropeTables; // {cos, sin}, each [1 or rows, length, 1, headDim]
    final NDArray mask; // broadcastable to [rows, kvHeads, group, length, total]; 0 visible, -1e9 hidden; or null
    final NDArray writeLanes; // [rows, length] INT64 cache lanes, unaligned passes only
    final NDArray writeSlots; // [rows, length] INT64 cache slots, unaligned passes only

    /**
     * @param manager the pass's manager
     * @param rope the rotary embedding
     * @param rows the rows' positions
     * @param scratchSlot the cache slot that padding positions write to (ignored when there is none)
     */
    StepPositions(NDManager manager, Rope rope, RowPositions rows, int scratchSlot) {
        int t = rows.length();
        int n = rows.rows();
        if (rows.end() > rope.maxPositions()) {
            throw new IllegalArgumentException("positions up to " + rows.end() + " outside the context of "
                    + rope.maxPositions() + " positions");
        }
        this.rows = rows;
        this.aligned = rows.isAligned();
        if (aligned) {
            start = rows.starts()[0];
            total = start + t;
            ropeTables = rope.tables(manager, start, t);
            writeLanes = null;
            writeSlots = null;
            if (t == 1) {
                mask = null; // a single new position sees every cached one
            } else {
                NDArray ends = manager.arange(start + 1, total + 1, 1, DataType.INT32).reshape(t, 1); // [length, 1]
                mask = hiddenFrom(ends, total); // [length, total]: query i sees slots 0 .. start+i
            }
            return;
        }
        start = -1;
        total = rows.hasPadding() ? scratchSlot + 1 : rows.end();
        long[] ropePositions = new long[n * t];
        long[] lanes = new long[n * t];
        long[] slots = new long[n * t];
        int[] visibleEnds = new int[n * t]; // each query sees cache slots 0 .. visibleEnd-1
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < t; i++) {
                int at = r * t + i;
                boolean real = rows.isReal(r, i);
                int position = rows.starts()[r] + i;
                ropePositions[at] = real ? position : 0;
                lanes[at] = rows.firstLane() + r;
                slots[at] = real ? position : scratchSlot;
                visibleEnds[at] = real ? position + 1 : 1; // padding queries look at slot 0 only: finite, ignored
            }
        }
        ropeTables = rope.tables(manager.create(ropePositions, new Shape(n, t)), rows.end()); // each [rows, length, 1, headDim]
        NDArray ends = manager.create(visibleEnds, new Shape(n, t, 1)); // [rows, length, 1]
        mask = hiddenFrom(ends, total).reshape(n, 1, 1, t, total); // [rows, 1, 1, length, total]
        writeLanes = manager.create(lanes, new Shape(n, t)); // [rows, length]
        writeSlots = manager.create(slots, new Shape(n, t)); // [rows, length]
    }

    /**
     * A mask built on the pass's device from one number per query (the host sends at most rows x length ints,
     * never rows x length x total floats): slot k is hidden (-1e9) from a query when k >= its end, visible (0)
     * otherwise.
     *
     * @param ends each query's end, [..., 1] INT32
     * @param total the slots attended over
     * @return [..., total] FLOAT32
     */
    private static NDArray hiddenFrom(NDArray ends, int total) {
        NDArray slots = ends.getManager().arange(0, total, 1, DataType.INT32); // [total]
        return slots.gte(ends).toType(DataType.FLOAT32, false).mul(MASKED); // [..., total]
    }
}
