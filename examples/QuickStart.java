import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

/**
 * Quick start: load the demo LayerSkip model from the model zoo with one Criteria and continue a prompt.
 * Decoding is self-speculative with the model's own exit layer and draft count (its layerskip.json);
 * the greedy text is the same as the full model's.
 *
 * <pre>java -cp target/layerskip.jar examples/QuickStart.java ["prompt"]</pre>
 */
public class QuickStart {

    public static void main(String[] args) throws Exception {
        String prompt = args.length > 0 ? args[0] : "def __init__(self, name, value):";
        Criteria<String, String> criteria = Criteria.builder()
                .setTypes(String.class, String.class)
                .optGroupId("dev.layerskip")
                .optArtifactId("layerskip-demo")
                .optArgument("max_new_tokens", 48)
                .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            System.out.println(prompt + predictor.predict(prompt));
        }
    }
}
