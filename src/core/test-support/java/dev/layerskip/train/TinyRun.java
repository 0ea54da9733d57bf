package dev.layerskip.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.TestCheckpoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny training setup: a small corpus, the fixture tokenizer and a 3-layer model. */
final class TinyRun {

    private TinyRun() {}

    static final String TEXT = "The cat sat on the mat, and the dog sat on the log. "
            + "Then the cat ran to the dog and the dog ran to the cat. ";

    /** Writes a corpus and a config into dir; returns the config file. */
    static Path write(Path dir, String extra) throws IOException {
        Path corpus = dir.resolve("corpus");
        Files.createDirectories(corpus);
        for (int i = 0; i < 12; i++) {
            Files.writeString(corpus.resolve("doc" + i + ".txt"), TEXT.repeat(3 + i % 4) + " number " + i);
        }
        String json = "{"
                + "\"output_dir\": \"" + dir.resolve("out") + "\","
                + "\"model\": {\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 32, \"intermediate_size\": 64,"
                + " \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"head_dim\": 8,"
                + " \"vocab_size\": 300, \"max_position_embeddings\": 64, \"bos_token_id\": 1, \"eos_token_id\": 2,"
                + " \"tie_word_embeddings\": true},"
                + "\"tokenizer\": \"" + TestCheckpoints.LLAMA3.toAbsolutePath() + "\","
                + "\"data\": {\"paths\": [\"" + corpus + "\"], \"extensions\": [\".txt\"], \"held_out_fraction\": 0.2,"
                + " \"seq_len\": 16, \"cache_dir\": \"" + dir.resolve("cache") + "\"},"
                + "\"optim\": {\"steps\": 6, \"batch_size\": 2, \"lr\": 0.01, \"warmup_steps\": 2, \"weight_decay\": 0.1},"
                + "\"seed\": 5,"
                + "\"eval_batches\": 2,"
                + "\"save_dtype\": \"f32\""
                + extra
                + "}";
        JsonObject parsed = JsonParser.parseString(json).getAsJsonObject(); // fail early on a typo in a test
        Path file = dir.resolve("train.json");
        Files.writeString(file, parsed.toString());
        return file;
    }
}
