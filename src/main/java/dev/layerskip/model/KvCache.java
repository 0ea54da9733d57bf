package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.LlamaConfig;

/**
 * A preallocated key/value cache, written by position.
 *
 * <p>Each layer owns two arrays of shape [batch, kvHeads, capacity, headDim] allocated once.
 * A forward pass over positions {@code start .. start+T-1} writes those slots in place and attends
 * over slots {@code 0 .. start+T-1}, so what lies beyond is never read. {@link #length()} is the
 * number of committed positions; {@link #rollback(int)} just moves it back (no copies), which is
 * how self-speculative decoding discards rejected drafts. Close the cache (or its manager) to free
 * it.
 */
public final class KvCache implements AutoCloseable {

    private final NDArray[] keys; // per layer [batch, kvHeads, capacity, headDim]
    private final NDArray[] values; // per layer [batch, kvHeads, capacity, headDim]
    private final int capacity;
    private int length;

    /**
     * Allocates a zeroed cache.
     *
     * @param manager the manager that owns the cache (one per generation)
     * @param config the model configuration
     * @param batch the batch size
     * @param capacity the number of positions, at most the model's context length
     * @param layers how many layers (from layer 0) will use the cache: L, or E for early exit
     */
    public KvCache(NDManager manager, LlamaConfig config, int batch, int capacity, int layers) {
        if (capacity < 1 || capacity > config.maxPositions()) {
            throw new IllegalArgumentException(
                    "cache capacity " + capacity + " outside [1, max_position_embeddings="
                            + config.maxPositions() + "]");
        }
        if (layers < 1 || layers > config.numLayers()) {
            throw new IllegalArgumentException(
                    "cache layers " + layers + " outside [1, " + config.numLayers() + "]");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        this.capacity = capacity;
        Shape shape = new Shape(batch, config.numKvHeads(), capacity, config.headDim());
        keys = new NDArray[layers];
        values = new NDArray[layers];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = manager.zeros(shape, DataType.FLOAT32);
            values[l] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    /** @return the number of positions the cache can hold */
    public int capacity() {
        return capacity;
    }

    /** @return the number of committed positions */
    public int length() {
        return length;
    }

    /**
     * Sets the committed length after a forward pass wrote up to that position.
     *
     * @param newLength the new length, at most the capacity
     */
    public void commit(int newLength) {
        checkLength(newLength);
        length = newLength;
    }

    /**
     * Rolls the cache back to a shorter length: the positions after it are forgotten (and will be
     * overwritten). A pointer move; nothing is copied or cleared.
     *
     * @param newLength the new length, at most the current one
     */
    public void rollback(int newLength) {
        if (newLength > length) {
            throw new IllegalArgumentException(
                    "cannot roll back to " + newLength + ": the cache holds " + length + " positions");
        }
        checkLength(newLength);
        length = newLength;
    }

    private void checkLength(int newLength) {
        if (newLength < 0 || newLength > capacity) {
            throw new IllegalArgumentException(
                    "cache length " + newLength + " outside [0, " + capacity + "]");
        }
    }

    /**
     * Writes the keys and values of positions {@code start .. start+T-1} of one layer and returns
     * views of all positions up to {@code start+T}.
     *
     * @param layer the layer index
     * @param start the first position written
     * @param k [batch, kvHeads, T, headDim]
     * @param v [batch, kvHeads, T, headDim]
     * @return {keys, values}, each a view [batch, kvHeads, start+T, headDim]
     */
    NDArray[] writeAndRead(int layer, int start, NDArray k, NDArray v) {
        int end = start + (int) k.getShape().get(2);
        if (end > capacity) {
            throw new IllegalArgumentException(
                    "positions up to " + end + " exceed the cache capacity " + capacity);
        }
        NDIndex written = new NDIndex().addAllDim().addAllDim().addSliceDim(start, end);
        keys[layer].set(written, k);
        values[layer].set(written, v);
        NDIndex visible = new NDIndex().addAllDim().addAllDim().addSliceDim(0, end);
        return new NDArray[] {keys[layer].get(visible), values[layer].get(visible)};
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
