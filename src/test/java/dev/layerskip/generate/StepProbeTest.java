package dev.layerskip.generate;

import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.IntraOpThreads;
import org.junit.jupiter.api.Test;
import java.nio.file.Path;
import java.util.List;

class StepProbeTest {
    @Test
    void probe() throws Exception {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32)) {
            dev.layerskip.model.InferenceMode.enterOnThisThread();
            ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
            for (int rep = 0; rep < 2; rep++)
            for (int k : new int[] {1, 8}) {
                for (int d : new int[] {0, 2, 4, 6}) {
                    boolean spec = d > 0;
                    try (RollingBatch batch = new RollingBatch(m.model(), spec ? 5 : 8, spec, 8)) {
                        for (int i = 0; i < k; i++) {
                            String p = "def read_lines(path):" + " x".repeat(i);
                            batch.join(new BatchRow(m.tokenizer().encode(p), GenerationConfig.greedy(400, List.of()), null,
                                    TokenListener.NONE, m.model().config(), spec ? new DraftLength.Fixed(d) : null, l -> {}));
                        }
                        for (int s = 0; s < 10; s++) batch.step();
                        int before = 0; for (BatchRow r : batch.rows()) before += r.out.count();
                        long t0 = System.nanoTime();
                        int n = 40;
                        for (int s = 0; s < n; s++) batch.step();
                        int after = 0; for (BatchRow r : batch.rows()) after += r.out.count();
                        double sec = (System.nanoTime() - t0) / 1e9;
                        System.out.printf("rows %d d %d: %.3f ms/step, %.1f tok/s%n", k, d, sec * 1000 / n, (after - before) / sec);
                    }
                }
            }
        }
    }
}
