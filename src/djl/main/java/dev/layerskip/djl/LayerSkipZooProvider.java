package dev.layerskip.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/**
 * Registers the {@link LayerSkipModelZoo} with DJL (META-INF/services), so that
 * {@code Criteria.builder().optGroupId("dev.layerskip").optArtifactId("layerskip-demo")} finds
 * the shipped demo model.
 */
public final class LayerSkipZooProvider implements ZooProvider {

    /** Creates the provider (DJL's ServiceLoader instantiates it). */
    public LayerSkipZooProvider() {}

    @Override
    public ModelZoo getModelZoo() {
        return new LayerSkipModelZoo();
    }
}
