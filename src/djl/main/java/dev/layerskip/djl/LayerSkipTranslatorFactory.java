package dev.layerskip.djl;

import ai.djl.Model;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;

import dev.layerskip.checkpoint.GenerationDefaults;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.BatchLimits;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Warmup;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.HfTextTokenizer;
import dev.layerskip.tokenizer.TextTokenizer;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Creates LayerSkip translators: {@code String -> String} and {@code String -> GenerationResult}
 * ({@link LayerSkipTranslator}) and {@code Input -> Output} for DJL Serving
 * ({@link LayerSkipServingTranslator}). Named in serving.properties as
 * {@code translatorFactory=dev.layerskip.djl.LayerSkipTranslatorFactory}.
 *
 * <p>The model's block must be a {@link LlamaModel} ({@link LayerSkipBlockFactory}). The tokenizer,
 * generation_config.json and layerskip.json come from the checkpoint directory. Generation defaults
 * come from the arguments ({@link GenerationArguments}); streaming uses up to {@code max_streams}
 * threads (default 4) with a queue of {@code stream_queue} requests (default 64). The argument
 * {@code chat_template} names a Jinja file used by the embedded server's chat endpoint when the checkpoint's
 * tokenizer_config.json has no {@code chat_template}.
 */
public final class LayerSkipTranslatorFactory implements TranslatorFactory {

    private static final AtomicInteger THREADS = new AtomicInteger();

    /** The model property holding the checkpoint directory (where tokenizer_config.json's chat template is). */
    public static final String CHECKPOINT_PROPERTY = "layerskip.checkpoint";

    /**
     * The model property holding the server's default chat template file, from the argument
     * {@code chat_template} (a Jinja file, absolute or relative to the model directory).
     */
    public static final String CHAT_TEMPLATE_PROPERTY = "layerskip.chat_template";

    /** Creates the factory (DJL instantiates it by class name). */
    public LayerSkipTranslatorFactory() {}

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return Set.of(new Pair<>(String.class, String.class), new Pair<>(String.class, GenerationResult.class),
                new Pair<>(Input.class, Output.class));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (!isSupported(input, output)) {
            throw new IllegalArgumentException("LayerSkipTranslatorFactory supports String->String, "
                    + "String->GenerationResult and Input->Output, not " + input.getName() + "->" + output.getName());
        }
        if (!(model.getBlock() instanceof LlamaModel llama)) {
            model.close();
            throw new TranslateException("the model's block is " + (model.getBlock() == null ? "missing"
                    : model.getBlock().getClass().getName()) + ", not a LlamaModel: set the argument "
                    + "blockFactory=" + LayerSkipBlockFactory.class.getName() + " and the option hasParameter=false"
                    + " (serving.properties, or LayerSkipCriteria.builder())");
        }
        GenerationService service;
        TextTokenizer tokenizer = null;
        ArgumentValues values = new ArgumentValues(arguments, "argument");
        ExecutorService streams = null;
        try {
            Path dir = CheckpointLocation.resolve(model.getModelPath(), arguments);
            model.setProperty(CHECKPOINT_PROPERTY, dir.toString());
            setChatTemplate(model, values);
            GenerationArguments defaults = GenerationArguments.from(arguments);
            BatchLimits batching = batchLimits(values);
            // every request of a full batch may stream: max_streams defaults to at least max_batch_size
            int maxStreams = positive(values.integer("max_streams"), Math.max(4, batching.maxBatchSize()), "max_streams");
            int streamQueue = positive(values.integer("stream_queue"), 64, "stream_queue");
            GenerationDefaults checkpointDefaults = GenerationDefaults.read(dir, llama.config());
            Optional<SpeculationDefaults> speculation = SpeculationDefaults.read(dir, llama.config().numLayers());
            tokenizer = HfTextTokenizer.load(dir);
            // builds the default generator: settings that do not fit the model fail here, not on every request
            service = new GenerationService(llama, tokenizer, checkpointDefaults, speculation, defaults, dir, batching);
            Integer warmup = values.integer("warmup_ms");
            if (warmup != null && warmup < 0) {
                throw new IllegalArgumentException("argument 'warmup_ms' must be >= 0 (milliseconds), got " + warmup);
            }
            service.warmUp(warmup == null ? Warmup.DEFAULT_BUDGET_MILLIS : warmup); // the first request runs warm
            if (input == Input.class) {
                streams = streamExecutor(maxStreams, streamQueue);
            }
        } catch (IOException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            // DJL's loader does not close a model whose translator fails: free the weights here
            model.close();
            throw new TranslateException(e.getMessage(), e);
        }
        closeWithModel(model, llama, service, streams);
        if (input == Input.class) {
            return (Translator<I, O>) new LayerSkipServingTranslator(service, streams);
        }
        return output == String.class
                ? (Translator<I, O>) LayerSkipTranslator.text(service)
                : (Translator<I, O>) LayerSkipTranslator.results(service);
    }

    /** Records the argument {@code chat_template}, if given, as the model's {@link #CHAT_TEMPLATE_PROPERTY}. */
    private static void setChatTemplate(Model model, ArgumentValues values) {
        String chatTemplate = values.string("chat_template", null);
        if (chatTemplate != null) {
            Path file = model.getModelPath() == null ? Path.of(chatTemplate) : model.getModelPath().resolve(chatTemplate);
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("argument 'chat_template': no file " + file);
            }
            model.setProperty(CHAT_TEMPLATE_PROPERTY, file.toString());
        }
    }

    /** Closes the service and the stream threads (if any) when the model closes, before its weights are freed. */
    private static void closeWithModel(Model model, LlamaModel llama, GenerationService service, ExecutorService streams) {
        AutoCloseable shutdown = () -> {
            if (streams != null) {
                streams.shutdown(); // queued streams still run and end at once: the service is closing
            }
            service.close(); // cancels and waits for running generations, closes the tokenizer
            if (streams != null && !streams.awaitTermination(60, TimeUnit.SECONDS)) {
                streams.shutdownNow();
            }
        };
        Optional<ModelResources> resources = ModelResources.take(llama);
        if (resources.isPresent()) {
            resources.get().closeBeforeWeights(shutdown);
        } else {
            model.getNDManager().attachInternal(UUID.randomUUID().toString(), shutdown);
        }
    }

    /**
     * The rolling-batch limits: {@code max_batch_size} (default {@link BatchLimits#DEFAULT_MAX_BATCH_SIZE}; 1: every
     * request decodes alone on its caller's thread),
     * {@code kv_cache_budget_mb} (default 2048) and {@code max_queued} (default 256).
     */
    private static BatchLimits batchLimits(ArgumentValues values) {
        int size = positive(values.integer("max_batch_size"), BatchLimits.DEFAULT_MAX_BATCH_SIZE, "max_batch_size");
        long budgetMb = values.longValue("kv_cache_budget_mb") != null ? values.longValue("kv_cache_budget_mb")
                : BatchLimits.DEFAULT_KV_CACHE_BUDGET_BYTES >> 20;
        if (budgetMb < 1 || budgetMb > (1L << 30)) {
            throw new IllegalArgumentException("argument 'kv_cache_budget_mb' must be in 1..1073741824, got " + budgetMb);
        }
        Integer queued = values.integer("max_queued");
        return new BatchLimits(size, budgetMb << 20, queued != null ? queued : BatchLimits.DEFAULT_MAX_QUEUED);
    }

    private static int positive(Integer value, int fallback, String key) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new IllegalArgumentException("argument '" + key + "' must be >= 1, got " + value);
        }
        return value;
    }

    private static ExecutorService streamExecutor(int threads, int queue) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), r -> {
                    Thread t = new Thread(r, "layerskip-stream-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
