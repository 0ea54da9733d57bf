package dev.layerskip.train;

import java.util.SplittableRandom;

/**
 * The order in which training chunks are drawn: one seeded permutation per epoch, so the n-th
 * sample of a run depends only on the seed and n (which is what makes resume exact).
 */
public final class DataOrder {

    private final long seed;
    private final int size;
    private long cachedEpoch = -1;
    private int[] permutation;

    /**
     * @param seed the run's seed
     * @param size the number of training chunks
     */
    public DataOrder(long seed, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("no training chunks");
        }
        this.seed = seed;
        this.size = size;
    }

    /**
     * @param n the 0-based sample number over the whole run
     * @return the chunk index of that sample
     */
    public int index(long n) {
        long epoch = n / size;
        if (epoch != cachedEpoch) {
            SplittableRandom random = new SplittableRandom(LayerSkipTrainer.mix(seed ^ 0x5DEECE66DL, epoch));
            int[] perm = new int[size];
            for (int i = 0; i < size; i++) {
                perm[i] = i;
            }
            for (int i = size - 1; i > 0; i--) { // Fisher-Yates
                int j = random.nextInt(i + 1);
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            cachedEpoch = epoch;
            permutation = perm;
        }
        return permutation[(int) (n % size)];
    }
}
