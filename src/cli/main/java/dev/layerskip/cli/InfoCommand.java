package dev.layerskip.cli;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.model.CostModel;
import dev.layerskip.model.LoadedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code info}: the configuration, parameter count, precision, memory and per-token cost split. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a checkpoint.")
final class InfoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        try (LoadedModel loaded = modelOptions.load()) {
            LlamaConfig c = loaded.model().config();
            CostModel cost = new CostModel(c);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("model:            %s%n", loaded.directory());
            out.printf("layers:           %d%n", c.numLayers());
            out.printf("hidden:           %d (intermediate %d)%n", c.hiddenSize(), c.intermediateSize());
            out.printf("heads:            %d query, %d key/value, head_dim %d%n", c.numHeads(), c.numKvHeads(), c.headDim());
            out.printf("vocab:            %d%s%n", c.vocabSize(), c.tieWordEmbeddings() ? " (tied LM head)" : "");
            out.printf("context:          %d positions%n", c.maxPositions());
            out.printf("rope:             theta %.0f, scaling %s%n", c.ropeTheta(), c.ropeScaling().type().name().toLowerCase(java.util.Locale.ROOT));
            out.printf("eos ids:          %s%n", loaded.defaults().eosTokenIds());
            out.printf("parameters:       %,d%n", c.parameterCount());
            java.nio.file.Path config = loaded.directory().resolve("config.json");
            boolean int8 = dev.layerskip.checkpoint.CompressedTensorsInt8.read(
                    dev.layerskip.checkpoint.LlamaConfigJson.readObject(config), config) != null;
            out.printf("stored dtype:     %s%s%n", loaded.storedType(),
                    int8 ? " (Linear weights int8: compressed-tensors int-quantized)" : "");
            out.printf("loaded as:        %s on %s, %s weight layout%n", loaded.model().weightType(), loaded.manager().getDevice(),
                    loaded.model().layout().name().toLowerCase(java.util.Locale.ROOT));
            out.printf("weight memory:    %.1f MiB held (%.1f MiB of parameters), loaded in %.2f s%n",
                    loaded.model().weightBytes() / 1048576.0, cost.weightBytes(loaded.model().weightType()) / 1048576.0,
                    loaded.loadSeconds());
            out.printf("tokenizer:        %s%n", loaded.tokenizer() == null ? "none" : "tokenizer.json");
            out.printf("per-token cost:   %,d multiply-adds; LM head %.1f %%, each layer %.1f %%%n",
                    cost.fullModelMacs(), 100 * cost.headShare(), 100 * cost.layerShare());
        }
        return 0;
    }
}
