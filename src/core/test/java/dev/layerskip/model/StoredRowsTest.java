package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;

/**
 * An int8 or packed model loaded from a checkpoint holds no rows of its embedding (and no plain copy of its head):
 * look-ups read the file and return the stored values exactly, draft heads built from those rows score exactly as the full head does, and a bad id is
 * refused naming the table.
 */
class StoredRowsTest {

    private static final LoadOptions INT8 = TestCheckpoints.options("int8", "INT8");

    @Test
    void lookUpsReadTheStoredValuesExactlyAndHoldNoRows() throws Exception {
        LoadOptions packed = new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PACKED);
        for (LoadOptions options : java.util.List.of(INT8, packed)) {
            try (LoadedModel model = LoadedModel.load(TestCheckpoints.LLAMA3, options);
                    LoadedModel bf16 = LoadedModel.load(TestCheckpoints.LLAMA3,
                            new LoadOptions(Device.cpu(), DataType.BFLOAT16, WeightLayout.PLAIN));
                    NDManager scratch = model.manager().newSubManager()) {
                String label = model.model().layout().toString();
                assertFalse(model.model().embedding().isInitialized(), label + ": no embedding rows are kept");
                assertThrows(IllegalStateException.class, () -> model.model().plainHead());
                int[] ids = {0, 299, 5, 5, 17, 250};
                NDArray looked = model.model().embed(scratch.create(ids, new Shape(2, 3))); // [2, 3, hidden]
                assertEquals(new Shape(2, 3, 64), looked.getShape());
                float[] table = bf16.model().embedding().getArray().toType(DataType.FLOAT32, false).toFloatArray(); // [300·64]
                float[] got = looked.toFloatArray(); // [6·64]
                for (int i = 0; i < ids.length; i++) {
                    for (int j = 0; j < 64; j++) {
                        assertEquals(table[ids[i] * 64 + j], got[i * 64 + j], 0f, label + ": token " + ids[i] + ", element " + j);
                    }
                }
            }
        }
    }

    @Test
    void aDraftHeadBuiltFromTheFileScoresExactlyAsTheFullHead() throws Exception {
        try (LoadedModel int8 = LoadedModel.load(TestCheckpoints.LLAMA3, INT8);
                NDManager scratch = int8.manager().newSubManager()) {
            LlamaModel model = int8.model();
            int[] ids = {1, 2, 3, 40, 41, 99, 200, 299};
            NDArray hidden = model.forwardLayers(model.embed(scratch.create(new int[] {1, 7, 9}, new Shape(1, 3))),
                    0, 2, null, 0); // [1, 3, hidden]
            float[] full = model.exitHead(hidden).toFloatArray(); // [3·300]
            float[] draft = DraftHead.of(model, ids).logits(hidden).toFloatArray(); // [3·8]
            for (int row = 0; row < 3; row++) {
                for (int j = 0; j < ids.length; j++) {
                    assertEquals(full[row * 300 + ids[j]], draft[row * ids.length + j], 0f, "row " + row + ", token " + ids[j]);
                }
            }
        }
    }

    @Test
    void anIdOutsideTheVocabularyIsRefusedNamingTheTable() throws Exception {
        try (LoadedModel int8 = LoadedModel.load(TestCheckpoints.LLAMA3, INT8);
                NDManager scratch = int8.manager().newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> int8.model().embed(scratch.create(new int[] {3, 300}, new Shape(1, 2))));
            assertEquals("row 300 is outside 0..299 of 'model.embed_tokens.weight'", e.getMessage());
            assertTrue(int8.model().embed(scratch.create(new int[] {3}, new Shape(1, 1))).get(new NDIndex("0, 0")).abs().sum()
                    .getFloat() > 0, "a good id still reads after a refused one");
        }
    }
}
