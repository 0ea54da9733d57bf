package dev.layerskip.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.layerskip.checkpoint.CheckpointException;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** The block factory names the engine it got and says engine=PyTorch is needed (DJL Serving's Python engine). */
class BlockFactoryEngineTest {

    @Test
    void anEngineOtherThanPyTorchIsNamedWithTheFix() throws Exception {
        LayerSkipBlockFactory.checkEngine("PyTorch", Path.of("m"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LayerSkipBlockFactory.checkEngine("Python", Path.of("/opt/ml/model/layerskip")));
        assertEquals("/opt/ml/model/layerskip: LayerSkipBlockFactory got the Python engine, but the LayerSkip block "
                + "runs on PyTorch only: set engine=PyTorch in serving.properties (without it DJL Serving picks its "
                + "Python engine for a directory with config.json) or Criteria.optEngine(\"PyTorch\")", e.getMessage());
    }
}
