package dev.layerskip.eval.task;

import java.util.List;

/**
 * One example of a task: a prompt to continue and the reference continuation.
 *
 * @param id the example's id (the file's {@code "id"}, else {@code "line N"})
 * @param prompt the text the model continues, non-empty
 * @param reference the expected continuation
 * @param stop generation stops at any of these strings, and the prediction is cut before the first
 * @param source where the example comes from, e.g. {@code tasks/x.jsonl:12}, for error messages
 */
public record TaskExample(String id, String prompt, String reference, List<String> stop, String source) {

    /** Validates the fields. */
    public TaskExample {
        if (id == null || prompt == null || reference == null || stop == null || source == null) {
            throw new IllegalArgumentException("task example fields must not be null");
        }
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException(source + ": empty prompt");
        }
        stop = List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException(source + ": empty stop string");
            }
        }
    }

    /**
     * An example without stop strings, e.g. built in code.
     *
     * @param id the id
     * @param prompt the prompt
     * @param reference the reference
     * @return the example
     */
    public static TaskExample of(String id, String prompt, String reference) {
        return new TaskExample(id, prompt, reference, List.of(), id);
    }

    /**
     * The prediction as scored: the generated text cut before the first stop string it contains.
     *
     * @param generated the generated text
     * @return the prediction
     */
    public String prediction(String generated) {
        int cut = generated.length();
        for (String s : stop) {
            int i = generated.indexOf(s);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return generated.substring(0, cut);
    }
}
