package dev.layerskip.djl;

import ai.djl.ndarray.NDManager;

import dev.layerskip.model.LlamaModel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Closes a DJL-loaded LayerSkip model in a safe order: first what uses the weights (translators stop
 * and wait for their running generations, the tokenizer closes), then the weights. Attached to the DJL
 * model's manager as one resource, because a manager closes its resources in no particular order and
 * freeing weights under a running generation would be a use after free.
 */
final class ModelResources implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(ModelResources.class);
    private static final Map<LlamaModel, ModelResources> REGISTRY = Collections.synchronizedMap(new WeakHashMap<>());

    private final NDManager weights;
    private final List<AutoCloseable> users = new CopyOnWriteArrayList<>();

    private ModelResources(NDManager weights) {
        this.weights = weights;
    }

    /**
     * @param model the block
     * @param weights the manager that owns its weights (closed last)
     * @return the registered resources
     */
    static ModelResources register(LlamaModel model, NDManager weights) {
        ModelResources r = new ModelResources(weights); // holds no reference to the key: the entry can be collected
        REGISTRY.put(model, r);
        return r;
    }

    /**
     * Takes a block's resources out of the registry (the caller keeps them).
     *
     * @param model a block
     * @return its resources, when it was built by {@link LayerSkipBlockFactory}
     */
    static Optional<ModelResources> take(LlamaModel model) {
        return Optional.ofNullable(REGISTRY.remove(model));
    }

    /**
     * @param user something that uses the weights and must close before them
     */
    void closeBeforeWeights(AutoCloseable user) {
        users.add(user);
    }

    @Override
    public void close() {
        for (AutoCloseable user : users) {
            try {
                user.close();
            } catch (Exception e) {
                LOGGER.error("closing a user of the weights failed", e);
            }
        }
        weights.close();
    }
}
