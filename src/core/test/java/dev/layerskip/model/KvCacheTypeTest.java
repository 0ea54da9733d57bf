package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/**
 * The KV cache's element type: how it is chosen, the bytes a 16-bit cache really holds, and the logit
 * error it adds against the float32 cache (the numbers docs/cuda.md states).
 */
class KvCacheTypeTest {

    private static final int[] IDS = {1, 298, 296, 297, 36, 57, 283, 14, 9, 120, 33, 7};

    @Test
    void autoIsFloat32OnTheCpuAndTheSixteenBitWeightTypeOnAGpu() {
        assertEquals(KvCacheType.FLOAT32, KvCacheType.AUTO.resolve(Device.cpu(), DataType.BFLOAT16));
        assertEquals(KvCacheType.BFLOAT16, KvCacheType.AUTO.resolve(Device.gpu(), DataType.BFLOAT16));
        assertEquals(KvCacheType.FLOAT16, KvCacheType.AUTO.resolve(Device.gpu(), DataType.FLOAT16));
        assertEquals(KvCacheType.FLOAT32, KvCacheType.AUTO.resolve(Device.gpu(), DataType.FLOAT32));
        assertEquals(KvCacheType.FLOAT16, KvCacheType.FLOAT16.resolve(Device.cpu(), DataType.FLOAT32), "explicit wins");
        assertEquals(KvCacheType.BFLOAT16, KvCacheType.parse(" BFloat16 ", "--kv-cache-dtype"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvCacheType.parse("fp8", "kv_cache_dtype"));
        assertEquals("'kv_cache_dtype' must be auto, float32, float16 or bfloat16, got 'fp8'", e.getMessage());
        assertThrows(IllegalStateException.class, KvCacheType.AUTO::bytes);
    }

    @Test
    void aSixteenBitCacheHoldsHalfTheBytesPerToken() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32());
                NDManager manager = loaded.manager().newSubManager()) {
            var config = loaded.model().config();
            int layers = loaded.model().numLayers();
            long perToken32 = 0;
            for (KvCacheType type : new KvCacheType[] {KvCacheType.FLOAT32, KvCacheType.FLOAT16, KvCacheType.BFLOAT16}) {
                try (KvCache small = new KvCache(manager, config, 2, 8, layers, type);
                        KvCache large = new KvCache(manager, config, 2, 16, layers, type)) {
                    long perToken = (large.allocatedBytes() - small.allocatedBytes()) / (2 * 8); // per lane and slot
                    assertEquals(KvCache.bytes(config, 2, 16, layers, type), large.allocatedBytes(), type.label());
                    if (type == KvCacheType.FLOAT32) {
                        perToken32 = perToken;
                        assertEquals(2L * 4 * layers * config.numKvHeads() * config.headDim(), perToken);
                    } else {
                        assertEquals(perToken32 / 2, perToken, type + " halves the bytes per token");
                    }
                }
            }
        }
    }

    @Test
    void theArraysAreReallySixteenBit() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32());
                NDManager manager = loaded.manager().newSubManager()) {
            LlamaModel model = loaded.model();
            try (KvCache bf16 = new KvCache(manager, model.config(), 1, 4, 1, KvCacheType.BFLOAT16);
                    KvCache f16 = new KvCache(manager, model.config(), 1, 4, 1, KvCacheType.FLOAT16)) {
                InferenceMode.enterOnThisThread();
                NDArray ids = manager.create(new int[] {1, 298}).reshape(1, 2); // [1, 2]
                model.forwardLayers(model.embed(ids), 0, 1, bf16, 0);
                model.forwardLayers(model.embed(ids), 0, 1, f16, 0);
                assertTrue(EngineOps.isBf16(bf16KeysSlice(bf16)), "BF16 keys (DJL: UNKNOWN)");
                assertEquals(DataType.FLOAT16, bf16KeysSlice(f16).getDataType());
            }
        }
    }

    private static NDArray bf16KeysSlice(KvCache cache) {
        NDArray[] kv = {cache.keys(0), cache.values(0)}; // [lanes, kvHeads, capacity, headDim] each
        return kv[0].get(new NDIndex("0")); // [kvHeads, capacity, headDim]
    }

    @Test
    void sixteenBitCachesChangeTheLogitsOnlyByTheirRounding() throws Exception {
        for (Path fixture : new Path[] {TestCheckpoints.LLAMA3, TestCheckpoints.LLAMA2}) {
            KvCacheLogitError.Result bf16 = KvCacheLogitError.compare(fixture, KvCacheType.BFLOAT16, IDS, 8);
            KvCacheLogitError.Result f16 = KvCacheLogitError.compare(fixture, KvCacheType.FLOAT16, IDS, 8);
            System.out.printf("KV cache logit error %s: bfloat16 %s, float16 %s%n", fixture.getFileName(), bf16, f16);
            assertTrue(bf16.maxAbsDiff() > 0 && f16.maxAbsDiff() > 0, "a 16-bit cache rounds: " + bf16 + ", " + f16);
            assertTrue(bf16.maxAbsDiff() < 0.01 * bf16.maxAbsLogit(), fixture + " bfloat16 cache: " + bf16);
            assertTrue(f16.maxAbsDiff() < 0.002 * f16.maxAbsLogit(), fixture + " float16 cache: " + f16);
            assertTrue(f16.maxAbsDiff() < bf16.maxAbsDiff(), "float16 keeps 3 more mantissa bits than bfloat16");
        }
    }
}
