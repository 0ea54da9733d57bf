package dev.layerskip.cli;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.GenerationArguments;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.generate.BatchLimits;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.serving.EmbeddedServer;
import dev.layerskip.serving.ServerConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code serve}: the embedded HTTP server with DJL Serving's endpoints and LMI JSON. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the model over HTTP: GET /ping, POST /invocations and /predictions/{model} with LMI JSON "
                + "(\"stream\": true answers application/jsonlines), and the OpenAI-compatible GET /v1/models, "
                + "POST /v1/completions and /v1/chat/completions. Stops cleanly on Ctrl-C / SIGTERM.")
final class ServeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to bind (default: ${DEFAULT-VALUE}: this machine only).")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", description = "Port, 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = "--model-name", paramLabel = "NAME", description = "Name in /predictions/{model} (default: the directory name).")
    String modelName;

    @Option(names = "--workers", paramLabel = "N",
            description = "Requests generating at once (default: --max-batch-size, so that a full batch can be in flight).")
    Integer workers;

    @Option(names = "--queue-size", paramLabel = "N", description = "Requests waiting beyond the workers; more get 503 (default: ${DEFAULT-VALUE}).")
    int queueSize = 16;

    @Option(names = "--max-request-bytes", paramLabel = "N", description = "Largest request body; larger get 413 (default: ${DEFAULT-VALUE}).")
    int maxRequestBytes = 1 << 20;

    @Option(names = "--strategy", paramLabel = "NAME", converter = StrategyConverter.class,
            description = "Default strategy of requests: autoregressive, early-exit or self-speculative (default: self-speculative).")
    DecodingStrategy strategy = DecodingStrategy.SELF_SPECULATIVE;

    @Mixin SpeculationOptions speculation;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Default max_new_tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 128;

    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "Jinja chat template for /v1/chat/completions when the checkpoint's tokenizer_config.json has none.")
    java.nio.file.Path chatTemplate;

    @Option(names = "--max-new-tokens-cap", paramLabel = "N",
            description = "Most max_new_tokens a request may ask for; more get 400 (default: ${DEFAULT-VALUE}).")
    int maxNewTokensCap = GenerationArguments.DEFAULT_MAX_NEW_TOKENS_CAP;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections open at once (idle and slow ones cost no thread); more get 503 and are closed "
                    + "(default: " + ServerConfig.DEFAULT_MAX_CONNECTIONS + ", or workers + queue + 1 if more).")
    Integer maxConnections;

    @Option(names = "--header-timeout", paramLabel = "SECONDS",
            description = "Longest a client may take to send a request's line and headers once it started; slower "
                    + "clients get 408 and are disconnected (default: "
                    + "3, or --read-timeout if shorter).")
    Long headerTimeoutSeconds;

    @Option(names = "--max-pending-mb", paramLabel = "MB",
            description = "Most MiB that unfinished requests of all connections may hold together; the connection "
                    + "that would pass it gets 503 (default: 64, or 4 x --max-request-bytes if more).")
    Long maxPendingMb;

    @Option(names = "--read-timeout", paramLabel = "SECONDS",
            description = "Longest a client may take to send its request, headers and body; slower clients get 408 "
                    + "and are disconnected (default: ${DEFAULT-VALUE}).")
    long readTimeoutSeconds = ServerConfig.DEFAULT_READ_TIMEOUT.toSeconds();

    @Option(names = "--max-batch-size", paramLabel = "N",
            description = "Requests decoded together, sharing every forward pass (rolling batching; like LMI's "
                    + "max_rolling_batch_size); a request alone decodes as it would unbatched (pipelined when its plan "
                    + "is); 1 decodes each request alone on its worker (default: ${DEFAULT-VALUE}).")
    int maxBatchSize = BatchLimits.DEFAULT_MAX_BATCH_SIZE;

    @Option(names = "--kv-cache-budget-mb", paramLabel = "MB",
            description = "Most MiB the batches' KV caches may hold; requests wait until theirs fits (default: ${DEFAULT-VALUE}).")
    long kvCacheBudgetMb = BatchLimits.DEFAULT_KV_CACHE_BUDGET_BYTES >> 20;

    /** Counted down by the shutdown hook to stop the server (interrupting the thread works too). */
    final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        modelOptions.checkedDirectory();
        String name = modelName != null ? modelName : modelOptions.model.toAbsolutePath().normalize().getFileName().toString();
        if (maxBatchSize < 1 || maxBatchSize > 1024) {
            throw new IllegalArgumentException("--max-batch-size must be in 1..1024, got " + maxBatchSize);
        }
        int threads = workers != null ? workers : maxBatchSize;
        if (maxPendingMb != null && (maxPendingMb < 1 || maxPendingMb > (1L << 20))) {
            throw new IllegalArgumentException("--max-pending-mb must be in 1..1048576, got " + maxPendingMb);
        }
        ServerConfig config = serverConfig(name, threads);
        Criteria.Builder<Input, Output> criteria = criteria(threads);
        speculation.settings(strategy); // checks the values before the model loads
        modelOptions.refusePipelineOnGpu(speculation.pipelined);
        addOptionalArguments(criteria);
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = shutdownHook(closed);
        Runtime.getRuntime().addShutdownHook(hook);
        try (ZooModel<Input, Output> model = criteria.build().loadModel();
                EmbeddedServer server = EmbeddedServer.start(model, config)) {
            out.printf("Serving %s (%s) on %s%n  curl -s %sping%n  curl -s -X POST %spredictions/%s "
                    + "-H 'Content-Type: application/json' -d '{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 32}}'%n",
                    name, strategy.cliName(), server.uri(), server.uri(), server.uri(), name);
            out.flush();
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // an embedding application stops the server this way
            }
            out.println("Stopping: finishing running requests.");
            out.flush();
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running and waits for `closed`
            }
        }
        return 0;
    }

    // the HTTP server's limits; options left out take defaults that follow from the ones given
    private ServerConfig serverConfig(String name, int threads) {
        return new ServerConfig(host, port, name, threads, queueSize, maxRequestBytes,
                Duration.ofSeconds(120), Duration.ofSeconds(10),
                maxConnections != null ? maxConnections
                        : Math.max(ServerConfig.DEFAULT_MAX_CONNECTIONS, threads + queueSize + 1),
                Duration.ofSeconds(readTimeoutSeconds), Duration.ofSeconds(headerTimeoutSeconds != null ? headerTimeoutSeconds
                        : Math.min(ServerConfig.DEFAULT_HEADER_TIMEOUT.toSeconds(), readTimeoutSeconds)),
                maxPendingMb != null ? Math.multiplyExact(maxPendingMb, 1L << 20)
                        : Math.max(ServerConfig.DEFAULT_MAX_PENDING_BYTES, 4L * maxRequestBytes));
    }

    // the model's criteria with the arguments every serve passes
    private Criteria.Builder<Input, Output> criteria(int threads) {
        return LayerSkipCriteria.builder(Input.class, Output.class)
                .optModelPath(modelOptions.model)
                .optDevice(modelOptions.device())
                .optArgument("dtype", modelOptions.dtype.name())
                .optArgument("kv_cache_dtype", modelOptions.kvCache().label())
                .optArgument("strategy", strategy.cliName())
                .optArgument("max_new_tokens", maxNewTokens)
                .optArgument("max_new_tokens_cap", maxNewTokensCap)
                .optArgument("max_streams", threads)
                .optArgument("max_batch_size", maxBatchSize)
                .optArgument("kv_cache_budget_mb", kvCacheBudgetMb);
    }

    // the arguments passed only when their option is given
    private void addOptionalArguments(Criteria.Builder<Input, Output> criteria) {
        if (chatTemplate != null) {
            criteria.optArgument("chat_template", chatTemplate.toAbsolutePath().toString());
        }
        if (speculation.exitLayer != null) {
            criteria.optArgument("exit_layer", speculation.exitLayer);
        }
        if (speculation.numSpeculations != null) {
            criteria.optArgument("num_speculations", speculation.numSpeculations);
        }
        if (speculation.draftConfidence != null) {
            criteria.optArgument("draft_confidence", speculation.draftConfidence);
        }
        if (speculation.draftVocab != null) {
            criteria.optArgument("draft_vocab", speculation.draftVocab);
        }
        if (speculation.pipelined != null) {
            criteria.optArgument("speculative_pipeline", speculation.pipelined);
        }
    }

    // counts down `stop` on JVM shutdown, then waits until the server is closed
    private Thread shutdownHook(CountDownLatch closed) {
        return new Thread(() -> {
            stop.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "layerskip-serve-shutdown");
    }
}
