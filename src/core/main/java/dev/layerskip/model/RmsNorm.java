package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Root-mean-square layer norm: {@code w · x / sqrt(mean(x²) + ε)} over the last axis. */
public final class RmsNorm extends ShapePreservingBlock {

    private final Parameter weight;
    private final float eps;

    /**
     * Creates the norm; its weight is set by the loader.
     *
     * @param eps the ε added to the mean square
     */
    public RmsNorm(double eps) {
        this.eps = (float) eps;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
    }

    /** @return the scale parameter, [hidden] */
    public Parameter weight() {
        return weight;
    }

    /** @return the ε added to the mean square */
    public double eps() {
        return eps;
    }

    /**
     * Normalises the last axis.
     *
     * @param x the input, [..., hidden], FLOAT32
     * @return the normalised input, same shape
     */
    public NDArray apply(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray inv = Scalars.pow(x.mul(x).mean(new int[] {last}, true).add(eps), -0.5); // [..., 1]
        return x.mul(inv).mul(weight.getArray());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(apply(inputs.singletonOrThrow()));
    }

    @Override
    public String toString() {
        return "RmsNorm(eps=" + eps + ")";
    }
}
