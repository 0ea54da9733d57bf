package dev.layerskip.cli;

import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;

import picocli.CommandLine.Option;

/**
 * {@code --exit-layer}, {@code --num-speculations}, {@code --draft-confidence}, {@code --draft-vocab},
 * {@code --pipelined}: shared by every command that decodes.
 */
final class SpeculationOptions {

    @Option(names = "--exit-layer", paramLabel = "E",
            description = "Exit layer: 1..L for early-exit (default L/2), 1..L-1 for the self-speculative draft "
                    + "(default: the model's layerskip.json, else L/4).")
    Integer exitLayer;

    @Option(names = "--num-speculations", paramLabel = "D",
            description = "Drafted tokens per self-speculative round (default: the model's layerskip.json, else 4).")
    Integer numSpeculations;

    @Option(names = "--draft-confidence", paramLabel = "X|auto",
            description = "End a draft when its top probability falls below X in (0, 1); auto adapts the draft length.")
    String draftConfidence;

    @Option(names = "--draft-vocab", paramLabel = "N",
            description = "Drafts score only the N most frequent tokens of the model's token_counts.json (written by"
                    + " count-tokens); verification keeps the full head (default: the model's layerskip.json, else all).")
    Integer draftVocab;

    @Option(names = "--pipelined", negatable = true,
            description = "Self-speculative greedy decoding drafts and verifies at once on two threads (D is how far the"
                    + " drafter runs ahead); same output, faster for small models on two or more cores. --no-pipelined"
                    + " decodes in rounds. Default: the model's layerskip.json (\"pipelined\"), else rounds.")
    Boolean pipelined;

    /**
     * @param strategy the strategy these values go with
     * @return the settings
     */
    DecodingSettings settings(DecodingStrategy strategy) {
        if (draftVocab != null && draftVocab < 1) {
            throw new IllegalArgumentException("--draft-vocab must be >= 1 (a number of tokens), got " + draftVocab);
        }
        return DecodingSettings.parse(strategy, exitLayer, numSpeculations, draftConfidence, "--draft-confidence")
                .withDraftVocab(draftVocab).withPipeline(pipelined);
    }
}
