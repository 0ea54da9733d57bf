package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cache is written by position: batched, token-by-token and rolled-back runs agree. */
class KvCacheTest {

    private static final int[] IDS = {1, 7, 12, 33, 4, 19, 25, 8, 40, 3};
    private static NDManager manager;
    private static LlamaModel model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager("PyTorch");
        model = TestCheckpoints.randomModel(manager, TestCheckpoints.tinyConfig(), 3);
        InferenceMode.enterOnThisThread();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static float[] hiddenOf(NDArray ids, KvCache cache, int start, int to) {
        return model.forwardLayers(model.embed(ids), 0, to, cache, start).toFloatArray();
    }

    private static NDArray ids(int... values) {
        return manager.create(values).reshape(1, values.length);
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void batchedPrefillEqualsTokenByTokenDecoding() {
        LlamaConfig c = model.config();
        int l = c.numLayers();
        float[] batched = hiddenOf(ids(IDS), null, 0, l); // [1, 10, hidden]
        try (NDManager gen = manager.newSubManager()) {
            KvCache cache = new KvCache(gen, c, 1, IDS.length, l);
            int h = c.hiddenSize();
            for (int t = 0; t < IDS.length; t++) {
                float[] one = hiddenOf(ids(IDS[t]), cache, t, l);
                float[] expected = new float[h];
                System.arraycopy(batched, t * h, expected, 0, h);
                assertClose(expected, one);
            }
        }
    }

    @Test
    void prefillInTwoChunksEqualsOne() {
        int l = model.numLayers();
        float[] whole = hiddenOf(ids(IDS), null, 0, l);
        try (NDManager gen = manager.newSubManager()) {
            KvCache cache = new KvCache(gen, model.config(), 1, IDS.length, l);
            float[] first = hiddenOf(ids(java.util.Arrays.copyOfRange(IDS, 0, 6)), cache, 0, l);
            float[] second = hiddenOf(ids(java.util.Arrays.copyOfRange(IDS, 6, IDS.length)), cache, 6, l);
            float[] joined = new float[whole.length];
            System.arraycopy(first, 0, joined, 0, first.length);
            System.arraycopy(second, 0, joined, first.length, second.length);
            assertClose(whole, joined);
        }
    }

    @Test
    void rollbackThenRewriteEqualsNeverHavingWritten() {
        int l = model.numLayers();
        try (NDManager gen = manager.newSubManager()) {
            KvCache clean = new KvCache(gen, model.config(), 1, 12, l);
            hiddenOf(ids(1, 7, 12, 33), clean, 0, l);
            clean.commit(4);
            float[] expected = hiddenOf(ids(5, 6), clean, 4, l);

            KvCache dirty = new KvCache(gen, model.config(), 1, 12, l);
            hiddenOf(ids(1, 7, 12, 33), dirty, 0, l);
            dirty.commit(4);
            hiddenOf(ids(44, 45, 46, 47, 48), dirty, 4, l); // rejected drafts
            dirty.commit(9);
            dirty.rollback(4);
            assertEquals(4, dirty.length());
            assertArrayEquals(expected, hiddenOf(ids(5, 6), dirty, 4, l));
        }
    }

    @Test
    void exitAtLEqualsTheFullModelBlockForward() {
        NDArray input = ids(IDS);
        float[] viaBlock = model.forward(new ParameterStore(manager, false), new NDList(input), false)
                .singletonOrThrow().toFloatArray();
        assertArrayEquals(viaBlock, model.logits(input, model.numLayers()).toFloatArray());
        float[] viaRanges = model.exitHead(model.forwardLayers(
                model.forwardLayers(model.embed(input), 0, 1, null, 0), 1, model.numLayers(), null, 0)).toFloatArray();
        assertClose(viaBlock, viaRanges);
    }

    @Test
    void exitLayerAndRangesAreValidated() {
        NDArray input = ids(IDS);
        assertThrows(IllegalArgumentException.class, () -> model.logits(input, 0));
        assertThrows(IllegalArgumentException.class, () -> model.logits(input, model.numLayers() + 1));
        assertThrows(IllegalArgumentException.class, () -> model.forwardLayers(model.embed(input), 2, 1, null, 0));
        try (NDManager gen = manager.newSubManager()) {
            KvCache cache = new KvCache(gen, model.config(), 1, 4, 1);
            assertThrows(IllegalArgumentException.class, () -> cache.commit(5));
            cache.commit(2);
            assertThrows(IllegalArgumentException.class, () -> cache.rollback(3));
        }
    }

}
