package dev.layerskip.cli;

import dev.layerskip.model.LoadedModel;

import picocli.CommandLine.Option;

/** Either a text prompt (tokenized) or explicit token ids. */
final class PromptOptions {

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (tokenized with the model's tokenizer.json).")
    String text;

    @Option(names = "--prompt-ids", paramLabel = "1,2,3", split = ",", description = "Prompt token ids, bypassing the tokenizer.")
    int[] ids;

    int[] ids(LoadedModel loaded) {
        if (ids != null) {
            if (ids.length == 0) {
                throw new IllegalArgumentException("--prompt-ids is empty");
            }
            return ids;
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (loaded.tokenizer() == null) {
            throw new IllegalArgumentException(loaded.directory().resolve("tokenizer.json")
                    + ": not found; use --prompt-ids to bypass the tokenizer");
        }
        return loaded.tokenizer().encode(text);
    }
}
