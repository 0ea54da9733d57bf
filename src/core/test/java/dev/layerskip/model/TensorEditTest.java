package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.TensorEdit;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * Tensor edits: applied to a checkpoint's stored values as they are read and to random draws under their Hugging Face
 * names, part by part for fused weights; everything not edited is exactly what an unedited load gives.
 */
class TensorEditTest {

    private static final String K1 = "model.layers.1.self_attn.k_proj.weight";
    private static final String UP2 = "model.layers.2.mlp.up_proj.weight";

    /** Zeroes two tensors that the model fuses with others (k into q/k/v, up into gate/up). */
    private static final TensorEdit ZERO_K1_AND_UP2 =
            (name, firstRow, stored) -> name.equals(K1) || name.equals(UP2) ? stored.zerosLike() : stored;

    @Test
    void aCheckpointIsEditedAsReadAndKeepsEveryOtherBitOfItsBfloat16Values() throws Exception {
        LoadOptions bf16 = new LoadOptions(Device.cpu(), DataType.BFLOAT16, WeightLayout.PLAIN);
        try (LoadedModel plain = LoadedModel.load(TestCheckpoints.LLAMA3, bf16);
                LoadedModel edited = LoadedModel.load(TestCheckpoints.LLAMA3, bf16, ZERO_K1_AND_UP2)) {
            assertFusedPartsEdited(plain.model(), edited.model());
        }
    }

    @Test
    void randomDrawsAreEditedUnderTheirHuggingFaceNamesPartByPart() {
        LlamaConfig config = TestCheckpoints.tinyConfig();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel plain = new LlamaModel(manager, config, DataType.FLOAT32);
            LlamaWeights.initRandom(plain, manager, 7, 0.3f);
            LlamaModel edited = new LlamaModel(manager, config, DataType.FLOAT32);
            LlamaWeights.initRandom(edited, manager, 7, 0.3f, ZERO_K1_AND_UP2);
            assertFusedPartsEdited(plain, edited);
            List<String> seen = new java.util.ArrayList<>();
            LlamaModel listed = new LlamaModel(manager, config, DataType.FLOAT32);
            LlamaWeights.initRandom(listed, manager, 7, 0.3f, (name, firstRow, stored) -> {
                seen.add(name + " " + stored.getShape());
                return stored;
            });
            List<String> expected = new java.util.ArrayList<>();
            LlamaWeights.expectedTensors(config).forEach((name, shape) -> expected.add(name + " " + new ai.djl.ndarray.types.Shape(shape)));
            java.util.Collections.sort(seen);
            java.util.Collections.sort(expected);
            assertEquals(expected, seen, "every tensor a checkpoint would hold is offered once, in its stored shape");
        }
    }

    @Test
    void anEditThatChangesTheShapeOrTypeIsRefusedNamingTheTensor() {
        TensorEdit shrink = (name, firstRow, stored) -> name.equals(UP2) ? stored.get(new NDIndex("0:1")) : stored;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32(), shrink).close());
        assertTrue(e.getMessage().startsWith("the tensor edit changed '" + UP2 + "' from (160, 64) float16 to (1, 64) float16"),
                e.getMessage());
        TensorEdit widen = (name, firstRow, stored) -> name.equals(K1) ? stored.toType(DataType.FLOAT64, false) : stored;
        assertThrows(IllegalStateException.class,
                () -> LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32(), widen).close());
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel model = new LlamaModel(manager, TestCheckpoints.tinyConfig(), DataType.FLOAT32);
            IllegalStateException r = assertThrows(IllegalStateException.class,
                    () -> LlamaWeights.initRandom(model, manager, 7, 0.3f, widen));
            assertTrue(r.getMessage().startsWith("the tensor edit changed '" + K1 + "' from (16, 32) float32 to (16, 32) float64"),
                    r.getMessage());
        }
    }

    /** Layer 1's k rows and layer 2's up rows are zero; every other weight equals the unedited model's exactly. */
    private static void assertFusedPartsEdited(LlamaModel plain, LlamaModel edited) {
        LlamaConfig c = plain.config();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long i = c.intermediateSize();
        for (int l = 0; l < c.numLayers(); l++) {
            NDArray qkv = floats(plain.layers().get(l).attention().qkv().getArray()); // [q+2kv, hidden]
            NDArray qkvEdited = floats(edited.layers().get(l).attention().qkv().getArray()); // [q+2kv, hidden]
            NDArray gateUp = floats(plain.layers().get(l).mlp().gateUp().getArray()); // [2i, hidden]
            NDArray gateUpEdited = floats(edited.layers().get(l).mlp().gateUp().getArray()); // [2i, hidden]
            String k = q + ":" + (q + kv);
            if (l == 1) {
                assertEquals(0f, qkvEdited.get(new NDIndex(k)).abs().sum().getFloat(), "layer 1's k rows");
                assertArrayEquals(qkv.get(new NDIndex(":" + q)).toFloatArray(), qkvEdited.get(new NDIndex(":" + q)).toFloatArray());
                assertArrayEquals(qkv.get(new NDIndex((q + kv) + ":")).toFloatArray(),
                        qkvEdited.get(new NDIndex((q + kv) + ":")).toFloatArray());
                assertTrue(qkv.get(new NDIndex(k)).abs().sum().getFloat() > 0, "the unedited k rows are not zero");
            } else {
                assertArrayEquals(qkv.toFloatArray(), qkvEdited.toFloatArray(), "layer " + l + "'s q/k/v");
            }
            if (l == 2) {
                assertEquals(0f, gateUpEdited.get(new NDIndex(i + ":")).abs().sum().getFloat(), "layer 2's up rows");
                assertArrayEquals(gateUp.get(new NDIndex(":" + i)).toFloatArray(), gateUpEdited.get(new NDIndex(":" + i)).toFloatArray());
            } else {
                assertArrayEquals(gateUp.toFloatArray(), gateUpEdited.toFloatArray(), "layer " + l + "'s gate/up");
            }
            assertArrayEquals(floats(plain.layers().get(l).mlp().down().getArray()).toFloatArray(),
                    floats(edited.layers().get(l).mlp().down().getArray()).toFloatArray());
        }
        assertArrayEquals(floats(plain.embedding().getArray()).toFloatArray(), floats(edited.embedding().getArray()).toFloatArray());
    }

    private static NDArray floats(NDArray weight) {
        return weight.toType(DataType.FLOAT32, false); // BF16 too
    }
}
