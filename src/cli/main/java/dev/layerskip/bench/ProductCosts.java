package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

import dev.layerskip.model.EngineOps;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.model.InferenceMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The cost of one projection {@code x[rows, in] · wᵀ} for every way this engine offers to compute
 * it, by row count: the microbenchmark behind the choice of weight type and layout. Several
 * different weights are used in turn so that none stays in the CPU's cache (as in a real model).
 */
public final class ProductCosts {

    /** One way to compute the product. */
    public enum Method {
        /** {@code Linear.linear} with FLOAT16 weights (x cast down, result cast up). */
        FLOAT16_LINEAR("float16 Linear.linear"),
        /** {@code Linear.linear} with FLOAT32 weights. */
        FLOAT32_LINEAR("float32 Linear.linear"),
        /** {@code w.matMul(xᵀ)} with FLOAT32 weights. */
        FLOAT32_WEIGHT_TIMES_X("float32 w.matMul(x^T)"),
        /** FLOAT16 weights cast to FLOAT32 for each product. */
        FLOAT16_UPCAST("float16 cast up per product"),
        /** BF16 weights through the TorchScript helper's plain {@code linear}. */
        BFLOAT16_PLAIN("bfloat16 plain"),
        /** BF16 weights packed for oneDNN. */
        BFLOAT16_PACKED("bfloat16 packed"),
        /** FLOAT32 weights packed for oneDNN. */
        FLOAT32_PACKED("float32 packed"),
        /** INT8 weights, symmetric per output channel, through PyTorch's weight-only int8 kernel. */
        INT8_WEIGHT_ONLY("int8 weight-only"),
        /**
         * INT8 weights as the model holds them ({@code --dtype int8}): FBGEMM's int8 product, each input row quantized
         * to 8 bits over its own maximum ({@link dev.layerskip.model.Int8Weights}).
         */
        INT8_FBGEMM("int8 FBGEMM (dtype int8)");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        /** @return how reports name it */
        public String label() {
            return label;
        }
    }

    private ProductCosts() {}

    /**
     * Measures every method at every row count.
     *
     * @param out output features of each weight
     * @param in input features
     * @param weights how many different weights to cycle through
     * @param rows the row counts
     * @param repeats timed passes over all weights (median kept)
     * @return ms per product, [method][row count]; NaN for a method this CPU cannot run (bfloat16 packed without AVX-512)
     */
    public static double[][] measure(int out, int in, int weights, int[] rows, int repeats) {
        if (out < 1 || in < 1 || weights < 1 || repeats < 1 || rows.length == 0 || Arrays.stream(rows).anyMatch(r -> r < 1)) {
            throw new IllegalArgumentException("sizes, weights, repeats and rows must be >= 1");
        }
        if ((long) out * in * weights * 14 > 16L << 30) {
            throw new IllegalArgumentException("the weights of all methods would take more than 16 GiB: use fewer --weights");
        }
        Method[] methods = Method.values();
        double[][] ms = new double[methods.length][rows.length];
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            InferenceMode.enterOnThisThread(); // after the engine is loaded
            List<NDArray> f32 = new ArrayList<>();
            for (int i = 0; i < weights; i++) {
                f32.add(manager.randomNormal(0, 0.02f, new Shape(out, in), DataType.FLOAT32)); // [out, in]
            }
            for (int m = 0; m < methods.length; m++) {
                if (methods[m] == Method.BFLOAT16_PACKED && !WeightLayout.canPack(DataType.BFLOAT16)) {
                    Arrays.fill(ms[m], Double.NaN); // oneDNN packs bfloat16 only with AVX-512
                    continue;
                }
                List<NDArray> prepared = new ArrayList<>();
                for (NDArray w : f32) {
                    prepared.add(prepare(methods[m], w));
                }
                BiFunction<NDArray, NDArray, NDArray> product = product(methods[m]);
                for (int r = 0; r < rows.length; r++) {
                    NDArray x = manager.randomNormal(new Shape(1, rows[r], in)); // [1, rows, in]
                    double[] passes = new double[repeats];
                    for (int p = -1; p < repeats; p++) { // one warm-up pass
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            long t0 = System.nanoTime();
                            for (NDArray w : prepared) {
                                product.apply(x, w); // [1, rows, out]
                            }
                            if (p >= 0) {
                                passes[p] = (System.nanoTime() - t0) / 1e6 / prepared.size();
                            }
                        }
                    }
                    Arrays.sort(passes);
                    ms[m][r] = passes[repeats / 2];
                    x.close();
                }
                if (prepared.get(0) != f32.get(0)) {
                    prepared.forEach(q -> {
                        NDArray scales = INT8_SCALES.remove(q);
                        if (scales != null) {
                            scales.close();
                        }
                        q.close();
                    });
                }
            }
        }
        return ms;
    }

    /** The per-channel scales of each int8 weight, by identity (the product takes one weight argument). */
    private static final java.util.Map<NDArray, NDArray> INT8_SCALES = java.util.Collections.synchronizedMap(
            new java.util.IdentityHashMap<>());

    private static NDArray prepare(Method method, NDArray w) {
        switch (method) {
            case INT8_FBGEMM: {
                ai.djl.ndarray.NDList q = dev.layerskip.model.Int8Weights.quantize(w, "bench weight"); // packed, [2, out]
                INT8_SCALES.put(q.get(0), q.get(1));
                return q.get(0);
            }
            case INT8_WEIGHT_ONLY: {
                NDArray scales = w.abs().max(new int[] {1}).div(127f); // [out]
                NDArray q = w.div(scales.reshape(-1, 1)).round().clip(-128, 127).toType(DataType.INT8, false); // [out, in]
                INT8_SCALES.put(q, scales);
                return q;
            }
            case FLOAT16_LINEAR:
            case FLOAT16_UPCAST:
                return w.toType(DataType.FLOAT16, true);
            case BFLOAT16_PLAIN:
                return EngineOps.toBf16(w);
            case BFLOAT16_PACKED:
                try (NDArray b = EngineOps.toBf16(w)) {
                    return EngineOps.pack(b);
                }
            case FLOAT32_PACKED:
                return EngineOps.pack(w);
            default:
                return w;
        }
    }

    private static BiFunction<NDArray, NDArray, NDArray> product(Method method) {
        switch (method) {
            case FLOAT16_LINEAR:
                return (x, w) -> Linear.linear(x.toType(DataType.FLOAT16, false), w).singletonOrThrow().toType(DataType.FLOAT32, false);
            case FLOAT32_WEIGHT_TIMES_X:
                return (x, w) -> w.matMul(x.squeeze(0).transpose(1, 0)); // [out, rows]
            case FLOAT16_UPCAST:
                return (x, w) -> Linear.linear(x, w.toType(DataType.FLOAT32, false)).singletonOrThrow();
            case BFLOAT16_PLAIN:
                return EngineOps::linear;
            case BFLOAT16_PACKED:
            case FLOAT32_PACKED:
                return EngineOps::linearPacked;
            case INT8_WEIGHT_ONLY:
                return (x, q) -> EngineOps.linearInt8(x, q, INT8_SCALES.get(q));
            case INT8_FBGEMM:
                return (x, q) -> new dev.layerskip.model.Int8Projection(() -> q, () -> INT8_SCALES.get(q), x.getShape().get(2)).apply(x);
            default:
                return (x, w) -> Linear.linear(x, w).singletonOrThrow();
        }
    }
}
