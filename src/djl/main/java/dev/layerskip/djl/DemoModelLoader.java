package dev.layerskip.djl;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The zoo entry of the demo model: resolves the packaged checkpoint ({@link DemoModelFiles}) and
 * loads it through {@link LayerSkipCriteria}, keeping the caller's types, device, arguments and
 * options (so {@code optArgument("strategy", "early-exit")} and the like work as usual).
 */
final class DemoModelLoader implements ModelLoader {

    /** The artifact id of the demo model. */
    static final String ARTIFACT_ID = "layerskip-demo";
    private static final String VERSION = "0.1.0";

    @Override
    public String getGroupId() {
        return LayerSkipModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return ARTIFACT_ID;
    }

    @Override
    public Application getApplication() {
        return Application.NLP.TEXT_GENERATION;
    }

    @Override
    public MRL getMrl() {
        try {
            Repository repository = Repository.newInstance("layerskip", DemoModelFiles.directory());
            return MRL.model(repository, getApplication(), getGroupId(), ARTIFACT_ID, VERSION, ARTIFACT_ID);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot locate the demo model: " + e.getMessage(), e);
        }
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        Criteria.Builder<I, O> builder = LayerSkipCriteria.builder(criteria.getInputClass(), criteria.getOutputClass())
                .optModelPath(DemoModelFiles.directory())
                .optModelName(ARTIFACT_ID)
                .optDevice(criteria.getDevice())
                .optProgress(criteria.getProgress());
        if (criteria.getTranslatorFactory() != null) {
            builder.optTranslatorFactory(criteria.getTranslatorFactory());
        }
        for (Map.Entry<String, Object> e : orEmpty(criteria.getArguments()).entrySet()) {
            builder.optArgument(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> e : orEmpty(criteria.getOptions()).entrySet()) {
            builder.optOption(e.getKey(), e.getValue());
        }
        if (!new LayerSkipTranslatorFactory().isSupported(criteria.getInputClass(), criteria.getOutputClass())
                && criteria.getTranslatorFactory() == null) {
            throw new ModelNotFoundException("the LayerSkip demo model serves String->String, "
                    + "String->GenerationResult and Input->Output, not " + criteria.getInputClass().getSimpleName()
                    + "->" + criteria.getOutputClass().getSimpleName());
        }
        return builder.build().loadModel();
    }

    private static <V> Map<String, V> orEmpty(Map<String, V> map) {
        return map == null ? Map.of() : map;
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true; // packaged in the jar: nothing to download
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) throws IOException {
        DemoModelFiles.directory();
    }
}
