package dev.layerskip.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;

/**
 * Token chunks as a DJL {@link RandomAccessDataset}: record i holds chunk i's first seq_len tokens
 * as data and the next-token targets (shifted by one) as labels.
 */
public final class TokenChunkDataset extends RandomAccessDataset {

    private final int[][] chunks;

    private TokenChunkDataset(Builder builder) {
        super(builder);
        this.chunks = builder.chunks;
    }

    /**
     * @param chunks the chunks (each seq_len + 1 tokens)
     * @param batchSize the batch size of DJL iteration
     * @return a dataset sampling sequentially
     */
    public static TokenChunkDataset of(int[][] chunks, int batchSize) {
        Builder b = new Builder();
        b.chunks = chunks;
        b.setSampling(batchSize, false);
        return new TokenChunkDataset(b);
    }

    /** @return the raw chunk of an index */
    int[] chunk(long index) {
        return chunks[Math.toIntExact(index)];
    }

    @Override
    public Record get(NDManager manager, long index) {
        int[] c = chunk(index);
        int t = c.length - 1;
        return new Record(
                new NDList(manager.create(java.util.Arrays.copyOfRange(c, 0, t))),
                new NDList(manager.create(java.util.Arrays.copyOfRange(c, 1, t + 1))));
    }

    @Override
    protected long availableSize() {
        return chunks.length;
    }

    @Override
    public void prepare(Progress progress) {
        // tokenized and cached by TokenCorpus
    }

    /** The DJL builder. */
    public static final class Builder extends BaseBuilder<Builder> {
        private int[][] chunks;

        @Override
        protected Builder self() {
            return this;
        }
    }
}
