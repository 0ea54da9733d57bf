package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.List;

/**
 * The SwiGLU feed-forward block: {@code down(silu(gate(x)) · up(x))}, with gate and up fused into
 * one weight at load time.
 */
public final class Mlp extends ShapePreservingBlock {

    private final Parameter gateUp; // [2·intermediate, hidden]
    private final Parameter down; // [hidden, intermediate]
    private final Parameter gateUpInt8; // [2, rows]: the int8 layout's scales and row sums, else null
    private final Parameter downInt8; // likewise for down
    private final Projection gateUpProjection; // products with gateUp's array, in the model's layout
    private final Projection downProjection;
    private final int intermediate;

    /**
     * Creates the block; weights are set by the loader.
     *
     * @param hidden the hidden size
     * @param intermediate the intermediate size
     * @param layout how the loader lays the projections out (PLAIN, PACKED or INT8)
     */
    public Mlp(int hidden, int intermediate, WeightLayout layout) {
        this.intermediate = intermediate;
        gateUp = addParameter(Parameter.builder().setName("gate_up").setType(Parameter.Type.WEIGHT).build());
        down = addParameter(Parameter.builder().setName("down").setType(Parameter.Type.WEIGHT).build());
        gateUpInt8 = layout == WeightLayout.INT8 ? addParameter(Attention.int8Companion("gate_up_int8")) : null;
        downInt8 = layout == WeightLayout.INT8 ? addParameter(Attention.int8Companion("down_int8")) : null;
        gateUpProjection = Projection.of(gateUp::getArray, () -> gateUpInt8.getArray(), hidden, layout);
        downProjection = Projection.of(down::getArray, () -> downInt8.getArray(), intermediate, layout);
    }

    /** @return the fused gate/up projection, [2·intermediate, hidden] (gate rows first) */
    public Parameter gateUp() {
        return gateUp;
    }

    /** @return the down projection, [hidden, intermediate] */
    public Parameter down() {
        return down;
    }

    /** @return the int8 layout's companion of {@link #gateUp()} ([2, rows]: scales, int8 row sums), else null */
    public Parameter gateUpInt8() {
        return gateUpInt8;
    }

    /** @return the int8 layout's companion of {@link #down()}, else null */
    public Parameter downInt8() {
        return downInt8;
    }

    /**
     * Applies the block.
     *
     * @param x the normalised input, [..., hidden]
     * @return the output, [..., hidden]
     */
    public NDArray apply(NDArray x) {
        NDArray gu = gateUpProjection.apply(x); // [..., 2·intermediate]
        NDList parts = gu.split(new long[] {intermediate}, gu.getShape().dimension() - 1);
        NDArray hidden = Ops.silu(parts.get(0)).mul(parts.get(1)); // [..., intermediate]
        return downProjection.apply(hidden); // [..., hidden]
    }

    /**
     * The whole MLP half of a layer in one fused inference call: {@code h + apply(norm(h))}.
     *
     * @param h the residual stream, [batch, seq, hidden]
     * @param norm the post-attention norm
     * @return [batch, seq, hidden]
     */
    NDArray blockFused(NDArray h, RmsNorm norm) {
        return FusedOps.mlpBlock(h, norm.weight().getArray(), gateUpProjection, downProjection, norm.eps());
    }

    /** @return the block's projections, in product order */
    List<Projection> projections() {
        return List.of(gateUpProjection, downProjection);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(apply(inputs.singletonOrThrow()));
    }
}
