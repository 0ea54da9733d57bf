package dev.layerskip.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;

/**
 * Base of the decoder's blocks: the output has the input's shape, and weights are always supplied
 * by {@link LlamaWeights} (loaded or initialised), so there is nothing to infer from input shapes.
 */
abstract class ShapePreservingBlock extends AbstractBlock {

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        // weights come from LlamaWeights, never from shape inference
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
