package dev.layerskip.djl;

import ai.djl.repository.zoo.ModelZoo;

import java.util.Set;

/**
 * The LayerSkip model zoo, group id {@value #GROUP_ID}: the demo model trained by this library
 * (artifact id {@value DemoModelLoader#ARTIFACT_ID}), served from the jar without any download.
 */
public final class LayerSkipModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "dev.layerskip";

    /** Creates the zoo with its one model. */
    public LayerSkipModelZoo() {
        addModel(new DemoModelLoader());
    }

    /**
     * The directory of the shipped demo checkpoint (in place, or copied once from the jar into
     * DJL's cache directory), for APIs that take a path such as {@code LoadedModel.load}.
     *
     * @return the directory
     * @throws java.io.IOException if the packaged files are missing or cannot be copied
     */
    public static java.nio.file.Path demoModelDirectory() throws java.io.IOException {
        return DemoModelFiles.directory();
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
