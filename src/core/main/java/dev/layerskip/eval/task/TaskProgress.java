package dev.layerskip.eval.task;

/** Receives progress while a task evaluation runs (the evaluator itself never prints). */
@FunctionalInterface
public interface TaskProgress {

    /** Ignores progress. */
    TaskProgress NONE = (done, total) -> {};

    /**
     * Called after every strategy has generated for an example.
     *
     * @param done examples finished
     * @param total examples in the run
     */
    void onExample(int done, int total);
}
