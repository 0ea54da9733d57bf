package dev.layerskip.generate;

import ai.djl.ndarray.BaseNDManager;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.util.List;

/** 1,000 generations leave no arrays behind and do not grow the process's resident memory. */
class NativeMemoryTest {

    @Test
    void thousandGenerationsStayFlat() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32())) {
            BaseNDManager manager = (BaseNDManager) loaded.manager();
            GenerationConfig config = new GenerationConfig(4, new SamplingConfig(0.8, 0, 0.9, 1), List.of(), List.of());
            AutoregressiveGenerator full = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), 4);
            AutoregressiveGenerator early = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), 2);
            int[] prompt = {1, 298, 296, 297, 36};
            NativeMemoryTestSupport.assertFlat(manager, 500, 1000,
                    i -> (i % 2 == 0 ? full : early).generate(prompt, config, TokenListener.NONE), "generations");
        }
    }

    @Test
    void bf16PackedGenerationsThroughTheTorchScriptHelperStayFlat() throws Exception {
        boolean packs = dev.layerskip.model.WeightLayout.canPack(ai.djl.ndarray.types.DataType.BFLOAT16);
        assertSpeculativeGenerationsStayFlat(new LoadOptions(ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.BFLOAT16,
                packs ? dev.layerskip.model.WeightLayout.PACKED : dev.layerskip.model.WeightLayout.PLAIN), // plain: no AVX-512
                "BF16 packed generations");
    }

    @Test
    void int8GenerationsThroughFbgemmStayFlat() throws Exception {
        assertSpeculativeGenerationsStayFlat(new LoadOptions(ai.djl.Device.cpu(), dev.layerskip.model.WeightPrecision.INT8,
                dev.layerskip.model.WeightLayout.AUTO), "int8 generations");
    }

    /** 1,000 greedy generations, self-speculative and autoregressive in turn, through the TorchScript helper. */
    private static void assertSpeculativeGenerationsStayFlat(LoadOptions options, String what) throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, options)) {
            BaseNDManager manager = (BaseNDManager) loaded.manager();
            GenerationConfig greedy = GenerationConfig.greedy(6, List.of());
            Generator spec = new SelfSpeculativeGenerator(loaded.model(), loaded.tokenizer(), 2, new DraftLength.Fixed(3));
            Generator full = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), loaded.model().numLayers());
            int[] prompt = {1, 298, 296, 297, 36};
            NativeMemoryTestSupport.assertFlat(manager, 300, 1000,
                    i -> (i % 2 == 0 ? spec : full).generate(prompt, greedy, TokenListener.NONE), what);
        }
    }
}
