package dev.layerskip.model;

import java.util.Arrays;

/**
 * Where the new positions of one forward pass go, row by row: the rows occupy cache lanes
 * {@code firstLane .. firstLane+rows-1}, row r feeds {@code length} new tokens at positions
 * {@code starts[r] .. starts[r]+length-1}, of which only the first {@code realLengths[r]} are real.
 * The other ("padding") positions of a row are written to the cache's scratch slot, which no real
 * position ever reads, so a batch can give rows different numbers of new tokens in one pass (batched
 * self-speculation drafts per row until each row stops).
 *
 * <p>When every row is real and starts at the same position the pass is <em>aligned</em>: the cache
 * is written with one slice per layer and no mask is needed for a single new position, exactly the
 * batch-of-one path.
 *
 * @param firstLane the cache lane of row 0
 * @param starts the position of each row's first new token
 * @param length the number of new tokens per row (T)
 * @param realLengths how many of each row's T tokens are real, each in 0..T
 */
public record RowPositions(int firstLane, int[] starts, int length, int[] realLengths) {

    /** Validates and copies the arrays. */
    public RowPositions {
        if (firstLane < 0) {
            throw new IllegalArgumentException("first lane must be >= 0, got " + firstLane);
        }
        if (starts == null || starts.length == 0) {
            throw new IllegalArgumentException("a pass needs at least one row");
        }
        if (length < 1) {
            throw new IllegalArgumentException("a pass needs at least one new position per row, got " + length);
        }
        if (realLengths == null || realLengths.length != starts.length) {
            throw new IllegalArgumentException("one real length per row is needed");
        }
        starts = starts.clone();
        realLengths = realLengths.clone();
        for (int r = 0; r < starts.length; r++) {
            if (starts[r] < 0 || realLengths[r] < 0 || realLengths[r] > length) {
                throw new IllegalArgumentException("row " + r + ": start " + starts[r] + ", real length "
                        + realLengths[r] + " outside [0, " + length + "]");
            }
        }
    }

    /**
     * One row, or several rows at the same position, all real.
     *
     * @param firstLane the cache lane of row 0
     * @param rows the number of rows
     * @param start the position of the first new token
     * @param length the number of new tokens
     * @return the positions
     */
    public static RowPositions aligned(int firstLane, int rows, int start, int length) {
        int[] starts = new int[rows];
        Arrays.fill(starts, start);
        int[] real = new int[rows];
        Arrays.fill(real, length);
        return new RowPositions(firstLane, starts, length, real);
    }

    /**
     * Rows at their own positions, all real.
     *
     * @param firstLane the cache lane of row 0
     * @param starts the position of each row's first new token
     * @param length the number of new tokens per row
     * @return the positions
     */
    public static RowPositions perRow(int firstLane, int[] starts, int length) {
        int[] real = new int[starts.length];
        Arrays.fill(real, length);
        return new RowPositions(firstLane, starts, length, real);
    }

    /** @return the number of rows */
    public int rows() {
        return starts.length;
    }

    /** @return whether every row is real and starts at the same position */
    public boolean isAligned() {
        for (int r = 0; r < starts.length; r++) {
            if (starts[r] != starts[0] || realLengths[r] != length) {
                return false;
            }
        }
        return true;
    }

    /** @return whether some row has padding positions */
    public boolean hasPadding() {
        for (int real : realLengths) {
            if (real != length) {
                return true;
            }
        }
        return false;
    }

    /** @return one past the last real position of any row */
    public int end() {
        int end = 0;
        for (int r = 0; r < starts.length; r++) {
            end = Math.max(end, starts[r] + realLengths[r]);
        }
        return end;
    }

    /**
     * @param row a row
     * @param i a new token's index, 0..T-1
     * @return whether that position is real
     */
    public boolean isReal(int row, int i) {
        return i < realLengths[row];
    }
}
