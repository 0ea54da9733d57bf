package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.StoredTensorCopier;
import dev.layerskip.checkpoint.TensorDType;

/**
 * Copies stored checkpoint tensors into the arrays the model uses, straight from the mapped file: BF16 data
 * is seen as BF16 in place ({@link EngineOps#bf16View}), so a bfloat16 model copies each byte once (or
 * packs it for oneDNN as that copy, {@link EngineOps#pack}); other types are converted by the copy. Fused
 * weights (q/k/v, gate/up) are joined first, one more copy per layer at most.
 *
 * @param target FLOAT32, FLOAT16 or BFLOAT16
 * @param pack whether the result is laid out for oneDNN's products (projection weights of a packed model)
 */
record WeightCopier(DataType target, boolean pack) implements StoredTensorCopier {

    /** FLOAT32 values as stored or widened, for norm weights. */
    static final WeightCopier FLOAT32 = new WeightCopier(DataType.FLOAT32, false);

    /** Checks the target type. */
    WeightCopier {
        if (!Ops.isSupportedWeightType(target)) {
            throw new IllegalArgumentException("weights can be read as float32, float16 or bfloat16, not " + target);
        }
    }

    @Override
    public NDArray view(NDArray alias, TensorDType stored) {
        return stored == TensorDType.BF16 ? EngineOps.bf16View(alias) : alias;
    }

    @Override
    public NDList copy(NDList views) {
        if (views.size() == 1) {
            return new NDList(finish(views.get(0), false)); // a single view is still the file
        }
        return new NDList(finish(NDArrays.concat(views, 0), true)); // [rows, in]; the join is a copy
    }

    /**
     * An array the caller owns in the target type, packed when asked: the array itself when nothing
     * changes, else the result, with the array closed.
     *
     * @param array the values, e.g. FLOAT32 random weights; owned by the caller
     * @return the weight as the model uses it, attached to the array's manager
     */
    NDArray fromOwned(NDArray array) {
        return finish(array, true);
    }

    private NDArray finish(NDArray x, boolean owned) {
        NDArray typed = converted(x); // [rows, in] in the target type
        if (typed != x && owned) {
            x.close();
        }
        boolean typedOwned = owned || typed != x;
        if (pack) {
            NDArray packed = EngineOps.pack(typed); // [rows, in], laid out for oneDNN
            if (typedOwned) {
                typed.close();
            }
            return packed;
        }
        return typedOwned ? typed : typed.duplicate();
    }

    /** The array in the target type: itself when it already is, else a converted copy. */
    private NDArray converted(NDArray x) {
        boolean bf16 = EngineOps.isBf16(x);
        if (target == DataType.BFLOAT16) {
            return bf16 ? x : EngineOps.toBf16(x);
        }
        return !bf16 && x.getDataType() == target ? x : x.toType(target, false);
    }
}
