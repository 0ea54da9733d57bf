package dev.layerskip.djl;

import dev.layerskip.checkpoint.GenerationDefaults;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.BatchLimits;
import dev.layerskip.generate.BatchSchedulers;
import dev.layerskip.generate.DecodingPlan;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.NonFiniteLogitsException;
import dev.layerskip.generate.PlanCalibration;
import dev.layerskip.generate.PlanNote;
import dev.layerskip.generate.Prompts;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.generate.TokenLogprob;
import dev.layerskip.generate.Warmup;
import dev.layerskip.generate.structured.TokenTexts;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Text in, text out over one loaded model: resolves a request's parameters against the translator's
 * defaults and the checkpoint's own (EOS ids, layerskip.json), then runs the chosen generator.
 * Thread-safe: every call has its own KV cache (or its own lane in a shared batch), so DJL Serving's
 * workers can share one instance.
 */
public final class GenerationService {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final GenerationDefaults checkpointDefaults;
    private final Optional<SpeculationDefaults> speculationDefaults;
    private final java.nio.file.Path directory;
    private final GenerationArguments defaults;
    private final DecodingSettings decoding; // the arguments' settings, with what they and layerskip.json leave open calibrated
    private final Generator defaultGenerator;
    private String[] tokenTexts; // guarded by this
    private final BatchSchedulers scheduler; // null: every request decodes alone on its caller's thread
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closing;
    private final Map<FinishReason, AtomicLong> finished = new EnumMap<>(FinishReason.class);

    /**
     * A service whose requests each decode alone on their caller's thread (max_batch_size 1).
     *
     * @param model the model
     * @param tokenizer the tokenizer (text serving needs one)
     * @param checkpointDefaults the checkpoint's generation_config.json (EOS ids)
     * @param speculationDefaults the checkpoint's layerskip.json, if any
     * @param defaults the translator's defaults
     * @throws IllegalArgumentException if the default strategy settings do not fit the model
     */
    public GenerationService(LlamaModel model, TextTokenizer tokenizer, GenerationDefaults checkpointDefaults,
            Optional<SpeculationDefaults> speculationDefaults, GenerationArguments defaults) {
        this(model, tokenizer, checkpointDefaults, speculationDefaults, defaults, null, BatchLimits.of(1));
    }

    /**
     * A service whose requests each decode alone on their caller's thread (max_batch_size 1).
     *
     * @param model the model
     * @param tokenizer the tokenizer (text serving needs one)
     * @param checkpointDefaults the checkpoint's generation_config.json (EOS ids)
     * @param speculationDefaults the checkpoint's layerskip.json, if any
     * @param defaults the translator's defaults
     * @param directory the checkpoint directory, whose token_counts.json gives a draft vocabulary, or null
     * @throws IllegalArgumentException if the default strategy settings do not fit the model
     */
    public GenerationService(LlamaModel model, TextTokenizer tokenizer, GenerationDefaults checkpointDefaults,
            Optional<SpeculationDefaults> speculationDefaults, GenerationArguments defaults, java.nio.file.Path directory) {
        this(model, tokenizer, checkpointDefaults, speculationDefaults, defaults, directory, BatchLimits.of(1));
    }

    /**
     * A service whose concurrent requests share forward passes when {@code batching.maxBatchSize() > 1}
     * ({@link BatchSchedulers}); with 1, every request decodes alone on its caller's thread. A pipelined
     * plan ({@code speculative_pipeline}, or the checkpoint's) with batching means "pipeline when alone,
     * batch when not": a greedy request that is the only one decodes as the two-thread pipeline, and
     * joins batched rounds at its next verification once another request arrives.
     *
     * @param model the model
     * @param tokenizer the tokenizer (text serving needs one)
     * @param checkpointDefaults the checkpoint's generation_config.json (EOS ids)
     * @param speculationDefaults the checkpoint's layerskip.json, if any
     * @param defaults the translator's defaults
     * @param directory the checkpoint directory, whose token_counts.json gives a draft vocabulary, or null
     * @param batching the rolling-batch limits
     * @throws IllegalArgumentException if the default strategy settings do not fit the model, or a draft
     *     vocabulary's token counts are missing or malformed
     */
    public GenerationService(LlamaModel model, TextTokenizer tokenizer, GenerationDefaults checkpointDefaults,
            Optional<SpeculationDefaults> speculationDefaults, GenerationArguments defaults, java.nio.file.Path directory,
            BatchLimits batching) {
        if (model == null || tokenizer == null || checkpointDefaults == null || defaults == null) {
            throw new IllegalArgumentException("model, tokenizer, checkpoint defaults and defaults are required");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.checkpointDefaults = checkpointDefaults;
        this.speculationDefaults = speculationDefaults;
        this.directory = directory;
        this.defaults = defaults;
        try {
            DecodingPlan plan = PlanCalibration.plan(defaults.decoding(), model, speculationDefaults, directory);
            if (plan.note() != PlanNote.NONE) {
                LoggerFactory.getLogger(GenerationService.class).info("decoding plan: {}", plan.note().text());
            }
            this.decoding = plan.settings();
            this.defaultGenerator = decoding.build(model, tokenizer, speculationDefaults, directory);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("arguments strategy/exit_layer/num_speculations/draft_confidence: "
                    + e.getMessage(), e);
        }
        for (FinishReason r : FinishReason.values()) {
            finished.put(r, new AtomicLong());
        }
        this.scheduler = batching.maxBatchSize() > 1 ? new BatchSchedulers(model, tokenizer, batching) : null;
    }

    /**
     * Runs the default generator briefly on the calling thread, without gradients, so the first request
     * runs at the warm speed ({@link Warmup}). Non-finite logits stop it with a warning in the log, so that
     * requests report them.
     *
     * @param budgetMillis the time to spend, 0 for none
     * @return the milliseconds spent
     */
    public double warmUp(long budgetMillis) {
        try (InferenceMode.NoGrad ignored = InferenceMode.noGrad()) {
            return Warmup.run(defaultGenerator, model.config().vocabSize(), budgetMillis);
        } catch (NonFiniteLogitsException e) {
            // a damaged model still loads: each request then gets this error, as a request's own answer
            LoggerFactory.getLogger(GenerationService.class).warn("warm-up stopped: {}", e.getMessage());
            return 0;
        }
    }

    /** @return the rolling-batch scheduler, if requests share passes (max_batch_size &gt; 1) */
    public Optional<BatchSchedulers> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    /** @return the translator's defaults */
    public GenerationArguments defaults() {
        return defaults;
    }

    /** @return the model */
    public LlamaModel model() {
        return model;
    }

    /** @return each token's text for constrained decoding ({@link TokenTexts}), computed once */
    public synchronized String[] tokenTexts() {
        if (tokenTexts == null) {
            tokenTexts = TokenTexts.of(tokenizer, model.config().vocabSize());
        }
        return tokenTexts;
    }

    /** @return the tokenizer */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Checks a request against the model and resolves every setting.
     *
     * @param request the request
     * @return the prepared generation
     * @throws InvalidRequestException when a value does not fit this model (exit layer, context length)
     */
    public PreparedGeneration prepare(LmiRequest request) throws InvalidRequestException {
        GenerationRequest asked = request.parameters().generation();
        DecodingStrategy strategy = decoding.strategy();
        Generator generator = defaultGenerator;
        try {
            Optional<DecodingSettings> own = asked.decoding(decoding); // the request's E, d, ... over the defaults
            if (own.isPresent()) {
                strategy = own.get().strategy();
                generator = own.get().build(model, tokenizer, speculationDefaults, directory);
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("parameters.strategy/exit_layer/num_speculations/draft_confidence: "
                    + e.getMessage(), e);
        }
        GenerationRequest merged = asked.orElse(defaults.request());
        if (merged.maxNewTokens() > defaults.maxNewTokensCap()) {
            throw new InvalidRequestException("parameters.max_new_tokens is " + merged.maxNewTokens()
                    + " but this server allows at most " + defaults.maxNewTokensCap() + " (its max_new_tokens_cap)");
        }
        GenerationConfig config = merged.config(checkpointDefaults, ThreadLocalRandom.current()::nextLong);
        return new PreparedGeneration(request, promptIds(request.inputs(), asked.truncate()), strategy, generator, config);
    }

    /** The prompt's ids: its length checked before tokenizing (unless truncated) and after. */
    private int[] promptIds(String inputs, Integer truncate) throws InvalidRequestException {
        try {
            if (truncate == null) { // with truncate a prompt may be longer than the context (the body size still bounds it)
                Prompts.checkLength(inputs, model.config()); // before tokenizing a huge prompt
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'inputs': " + e.getMessage(), e);
        }
        int[] ids = tokenizer.encode(inputs);
        if (truncate != null && ids.length > truncate) {
            ids = java.util.Arrays.copyOfRange(ids, ids.length - truncate, ids.length); // TGI: the last N tokens
        }
        try {
            Prompts.check(ids, model.config());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("'inputs': " + e.getMessage(), e);
        }
        return ids;
    }

    /**
     * Runs a prepared generation on the calling thread.
     *
     * @param prepared the prepared generation
     * @param listener receives the tokens
     * @return the result
     */
    public GenerationResult run(PreparedGeneration prepared, TokenListener listener) {
        return runAll(List.of(prepared), List.of(listener)).get(0);
    }

    /**
     * Runs several generations of one prompt (a request's choices, e.g. with different seeds) on the
     * calling thread: with batching, as rows of one batch that read the prompt once; without, one after
     * the other.
     *
     * @param choices the prepared generations, all of the same request and generator
     * @param listeners one per choice
     * @return the results, in order
     */
    public List<GenerationResult> runAll(List<PreparedGeneration> choices, List<TokenListener> listeners) {
        active.incrementAndGet();
        try {
            if (closing) {
                throw new IllegalStateException("the model is closing");
            }
            List<TokenListener> stoppable = listeners.stream().map(this::stoppable).toList();
            PreparedGeneration first = choices.get(0);
            List<GenerationResult> results = new java.util.ArrayList<>();
            if (scheduler != null) {
                results.addAll(scheduler.generateAll(first.generator(), first.promptIds(),
                        choices.stream().map(PreparedGeneration::config).toList(), stoppable));
            } else {
                for (int i = 0; i < choices.size(); i++) {
                    PreparedGeneration c = choices.get(i);
                    results.add(c.generator().generate(c.promptIds(), c.config(), stoppable.get(i)));
                }
            }
            for (GenerationResult result : results) {
                finished.get(result.finishReason()).incrementAndGet();
            }
            return results;
        } finally {
            active.decrementAndGet();
        }
    }

    /** The listener, also stopped when the model closes. */
    private TokenListener stoppable(TokenListener listener) {
        return new TokenListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                listener.onToken(tokenId, textDelta);
            }

            @Override
            public void onPromptLogprobs(List<TokenLogprob> logprobs) {
                listener.onPromptLogprobs(logprobs);
            }

            @Override
            public void onLogprob(TokenLogprob logprob) {
                listener.onLogprob(logprob);
            }

            @Override
            public void onDraft(int[] draftIds, int accepted) {
                listener.onDraft(draftIds, accepted);
            }

            @Override
            public boolean cancelled() {
                return closing || listener.cancelled();
            }
        };
    }

    /**
     * Stops accepting generations, cancels the running ones at their next token, waits for them
     * (at most 60 s) and closes the tokenizer. Called before the weights are freed.
     */
    public void close() {
        closing = true;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (active.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (scheduler != null) {
            scheduler.close();
        }
        tokenizer.close();
    }

    /** @return how many generations are running now */
    public int activeGenerations() {
        return active.get();
    }

    /**
     * @param reason a finish reason
     * @return how many generations finished for that reason since the service started
     */
    public long finishedGenerations(FinishReason reason) {
        return finished.get(reason).get();
    }

    /**
     * The text a response carries: the generated text, after the prompt when return_full_text is set.
     *
     * @param prepared the generation
     * @param result its result
     * @return the text
     */
    public static String generatedText(PreparedGeneration prepared, GenerationResult result) {
        return prepared.request().parameters().returnFullText()
                ? prepared.request().inputs() + result.text()
                : result.text();
    }
}
