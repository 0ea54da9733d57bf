package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.LlamaConfig;

import java.util.Arrays;

/**
 * A preallocated key/value cache, written by position, with one lane per sequence.
 *
 * <p>Each layer owns two arrays of shape [lanes, kvHeads, capacity, headDim] allocated once (or
 * grown by {@link #grow}). A forward pass over positions {@code start .. start+T-1} of a lane writes
 * those slots in place and attends over slots {@code 0 .. start+T-1}, so what lies beyond is never
 * read. {@link #length(int)} is a lane's number of committed positions; {@link #rollback(int, int)}
 * just moves it back (no copies), which is how self-speculative decoding discards rejected drafts.
 * A batch keeps its sequences in lanes {@code 0 .. n-1}; a sequence that leaves is replaced by the
 * last one ({@link #moveLane}). Close the cache (or its manager) to free it.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final LlamaConfig config;
    private final KvCacheType type;
    private final NDArray[] keys; // per layer [lanes, kvHeads, capacity, headDim]
    private final NDArray[] values; // per layer [lanes, kvHeads, capacity, headDim]
    private int lanes;
    private int capacity;
    private int[] lengths;

    /**
     * Allocates a zeroed cache.
     *
     * @param manager the manager that owns the cache (one per generation or batch)
     * @param config the model configuration
     * @param lanes the number of sequences (the batch size)
     * @param capacity the number of slots per lane, at most the model's context length + 1 (a
     *     batch's scratch slot)
     * @param layers how many layers (from layer 0) will use the cache: L, or E for early exit
     */
    public KvCache(NDManager manager, LlamaConfig config, int lanes, int capacity, int layers) {
        this(manager, config, lanes, capacity, layers, KvCacheType.FLOAT32);
    }

    /**
     * Allocates a zeroed cache of a given element type.
     *
     * @param manager the manager that owns the cache (one per generation or batch)
     * @param config the model configuration
     * @param lanes the number of sequences (the batch size)
     * @param capacity the number of slots per lane, at most the model's context length + 1
     * @param layers how many layers (from layer 0) will use the cache
     * @param type FLOAT32, FLOAT16 or BFLOAT16 (resolved: see {@link KvCacheType#resolve})
     */
    public KvCache(NDManager manager, LlamaConfig config, int lanes, int capacity, int layers, KvCacheType type) {
        checkShape(config, lanes, capacity);
        type.bytes(); // refuses AUTO
        if (layers < 1 || layers > config.numLayers()) {
            throw new IllegalArgumentException(
                    "cache layers " + layers + " outside [1, " + config.numLayers() + "]");
        }
        this.manager = manager;
        this.config = config;
        this.type = type;
        this.lanes = lanes;
        this.capacity = capacity;
        this.lengths = new int[lanes];
        Shape shape = shape(lanes, capacity);
        keys = new NDArray[layers];
        values = new NDArray[layers];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = type.zeros(manager, shape); // [lanes, kvHeads, capacity, headDim]
            values[l] = type.zeros(manager, shape); // [lanes, kvHeads, capacity, headDim]
        }
    }

    private static void checkShape(LlamaConfig config, int lanes, int capacity) {
        if (capacity < 1 || capacity > config.maxPositions() + 1L) {
            throw new IllegalArgumentException("cache capacity " + capacity + " outside [1, max_position_embeddings + 1 = "
                    + (config.maxPositions() + 1L) + "]");
        }
        if (lanes < 1) {
            throw new IllegalArgumentException("lanes must be >= 1, got " + lanes);
        }
    }

    private Shape shape(int lanes, int capacity) {
        return new Shape(lanes, config.numKvHeads(), capacity, config.headDim());
    }

    /**
     * The bytes a cache of this shape and type holds: keys and values, per layer.
     *
     * @param config the model configuration
     * @param lanes the lanes
     * @param capacity the slots per lane
     * @param layers the cached layers
     * @param type the element type (resolved)
     * @return the size in bytes
     */
    public static long bytes(LlamaConfig config, long lanes, long capacity, long layers, KvCacheType type) {
        return 2L * type.bytes() * layers * lanes * capacity * config.numKvHeads() * config.headDim();
    }

    /** @return the element type */
    public KvCacheType type() {
        return type;
    }

    /** @return the bytes the cache's arrays hold now, measured on the arrays themselves (keys and values) */
    public long allocatedBytes() {
        long total = 0;
        for (int l = 0; l < keys.length; l++) {
            total += EngineOps.bytes(keys[l]) + EngineOps.bytes(values[l]);
        }
        return total;
    }

    /** @return the number of slots per lane */
    public int capacity() {
        return capacity;
    }

    /** @return the number of lanes */
    public int lanes() {
        return lanes;
    }

    /** @return the number of cached layers */
    public int layers() {
        return keys.length;
    }

    /** @return the committed positions of lane 0 (the single sequence of a one-lane cache) */
    public int length() {
        return length(0);
    }

    /**
     * @param lane a lane
     * @return its number of committed positions
     */
    public int length(int lane) {
        checkLane(lane);
        return lengths[lane];
    }

    /**
     * Sets lane 0's committed length after a forward pass wrote up to that position.
     *
     * @param newLength the new length, at most the capacity
     */
    public void commit(int newLength) {
        commit(0, newLength);
    }

    /**
     * Sets a lane's committed length after a forward pass wrote up to that position.
     *
     * @param lane the lane
     * @param newLength the new length, at most the capacity
     */
    public void commit(int lane, int newLength) {
        checkLane(lane);
        checkLength(newLength);
        lengths[lane] = newLength;
    }

    /**
     * Rolls lane 0 back to a shorter length.
     *
     * @param newLength the new length, at most the current one
     */
    public void rollback(int newLength) {
        rollback(0, newLength);
    }

    /**
     * Rolls a lane back to a shorter length: the positions after it are forgotten (and will be
     * overwritten). A pointer move; nothing is copied or cleared.
     *
     * @param lane the lane
     * @param newLength the new length, at most the current one
     */
    public void rollback(int lane, int newLength) {
        checkLane(lane);
        if (newLength > lengths[lane]) {
            throw new IllegalArgumentException("cannot roll back to " + newLength + ": lane " + lane + " holds "
                    + lengths[lane] + " positions");
        }
        checkLength(newLength);
        lengths[lane] = newLength;
    }

    /**
     * Copies a lane's committed positions into another lane (a batch filling the lane of a sequence
     * that left with its last sequence).
     *
     * @param from the lane copied
     * @param to the lane overwritten
     */
    public void moveLane(int from, int to) {
        if (from != to) {
            copyLane(from, to);
            lengths[from] = 0;
        }
    }

    /**
     * Copies a lane's committed positions into another lane (the target's own are replaced): a
     * sequence forked after its prompt (several choices of one prompt) shares the prompt's entries.
     *
     * @param from the source lane
     * @param to the target lane
     */
    public void copyLane(int from, int to) {
        checkLane(from);
        checkLane(to);
        if (from == to) {
            return;
        }
        int n = lengths[from];
        if (n > 0) {
            NDIndex source = new NDIndex().addIndices(from).addAllDim().addSliceDim(0, n);
            NDIndex target = new NDIndex().addIndices(to).addAllDim().addSliceDim(0, n);
            for (int l = 0; l < keys.length; l++) {
                try (NDArray k = keys[l].get(source); NDArray v = values[l].get(source)) { // [kvHeads, n, headDim] each
                    keys[l].set(target, k);
                    values[l].set(target, v);
                }
            }
        }
        lengths[to] = n;
    }

    /**
     * Grows the cache to more lanes and/or slots, keeping every committed position.
     *
     * @param newLanes at least the current lanes
     * @param newCapacity at least the current capacity
     */
    public void grow(int newLanes, int newCapacity) {
        checkShape(config, newLanes, newCapacity);
        if (newLanes < lanes || newCapacity < capacity) {
            throw new IllegalArgumentException("a cache only grows: " + lanes + "x" + capacity + " -> " + newLanes
                    + "x" + newCapacity);
        }
        if (newLanes == lanes && newCapacity == capacity) {
            return;
        }
        NDIndex old = new NDIndex().addSliceDim(0, lanes).addAllDim().addSliceDim(0, capacity);
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrown(keys[l], old, newLanes, newCapacity);
            values[l] = regrown(values[l], old, newLanes, newCapacity);
        }
        lanes = newLanes;
        capacity = newCapacity;
        lengths = Arrays.copyOf(lengths, newLanes);
    }

    private NDArray regrown(NDArray before, NDIndex old, int newLanes, int newCapacity) {
        NDArray after = type.zeros(manager, shape(newLanes, newCapacity)); // [lanes', kvHeads, capacity', headDim]
        after.set(old, before);
        before.close();
        return after;
    }

    private void checkLane(int lane) {
        if (lane < 0 || lane >= lanes) {
            throw new IllegalArgumentException("lane " + lane + " outside [0, " + lanes + ")");
        }
    }

    private void checkLength(int newLength) {
        if (newLength < 0 || newLength > capacity) {
            throw new IllegalArgumentException(
                    "cache length " + newLength + " outside [0, " + capacity + "]");
        }
    }

    /**
     * Writes one layer's keys and values of a pass's new positions and returns views of the slots
     * the pass attends over.
     *
     * @param layer the layer index
     * @param pos the pass's positions
     * @param k [rows, kvHeads, T, headDim]
     * @param v [rows, kvHeads, T, headDim]
     * @return {keys, values}, each a view [rows, kvHeads, total, headDim]
     */
    NDArray[] writeAndRead(int layer, StepPositions pos, NDArray k, NDArray v) {
        if (type != KvCacheType.FLOAT32) {
            throw new IllegalStateException("a " + type.label() + " KV cache needs the fused inference path (gradients"
                    + " off); passes with gradients use a float32 cache");
        }
        RowPositions rows = pos.rows;
        int firstLane = rows.firstLane();
        int lastLane = firstLane + rows.rows();
        checkPass(pos);
        if (pos.aligned) {
            NDIndex written = new NDIndex().addSliceDim(firstLane, lastLane).addAllDim()
                    .addSliceDim(pos.start, pos.start + rows.length());
            keys[layer].set(written, k);
            values[layer].set(written, v);
        } else {
            // keys[lane[r, i], :, slot[r, i]] = k[r, :, i]: advanced indexing puts the [rows, T] index dims first
            NDIndex written = new NDIndex("{}, :, {}", pos.writeLanes, pos.writeSlots);
            keys[layer].set(written, k.transpose(0, 2, 1, 3)); // [rows, T, kvHeads, headDim]
            values[layer].set(written, v.transpose(0, 2, 1, 3)); // [rows, T, kvHeads, headDim]
        }
        NDIndex visible = new NDIndex().addSliceDim(firstLane, lastLane).addAllDim().addSliceDim(0, pos.total);
        return new NDArray[] {keys[layer].get(visible), values[layer].get(visible)};
    }

    /**
     * @param layer a layer index
     * @return that layer's key cache, [lanes, kvHeads, capacity, headDim] (the fused attention writes it in place)
     */
    NDArray keys(int layer) {
        return keys[layer];
    }

    /**
     * @param layer a layer index
     * @return that layer's value cache, [lanes, kvHeads, capacity, headDim] (the fused attention writes it in place)
     */
    NDArray values(int layer) {
        return values[layer];
    }

    /**
     * Checks that a pass fits this cache's lanes and slots.
     *
     * @param pos the pass's positions
     * @throws IllegalArgumentException if it does not
     */
    void checkPass(StepPositions pos) {
        int firstLane = pos.rows.firstLane();
        int lastLane = firstLane + pos.rows.rows();
        if (lastLane > lanes || pos.total > capacity) {
            throw new IllegalArgumentException("a pass over lanes [" + firstLane + ", " + lastLane + ") and slots up to "
                    + pos.total + " exceeds the cache's " + lanes + " lanes x " + capacity + " slots");
        }
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
