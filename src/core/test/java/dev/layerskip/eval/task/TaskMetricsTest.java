package dev.layerskip.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/** Every metric against values computed by hand from the standard definitions. */
class TaskMetricsTest {

    private static final double EPS = 1e-9;

    @Test
    void rougeTokenisesLikeRougeScoreWithoutStemming() {
        assertEquals(List.of("hello", "world", "x", "ray", "42", "running"), RougeScores.tokens("Hello, World! x-ray 42 Running"));
        assertEquals(List.of(), RougeScores.tokens(" ,.;- "));
    }

    @Test
    void rougeOfTheQuickBrownFox() {
        // reference 9 tokens, prediction 8; shared unigrams the x2, quick, brown, dog, jumps = 6 -> F1 = 2*6/(8+9)
        // bigrams: the-quick, quick-brown shared of 7 and 8 -> 2*2/(7+8); LCS the quick brown jumps the = 5 -> 2*5/17
        RougeScores s = RougeScores.of("The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog");
        assertEquals(12.0 / 17, s.rouge1(), EPS);
        assertEquals(4.0 / 15, s.rouge2(), EPS);
        assertEquals(10.0 / 17, s.rougeL(), EPS);
    }

    @Test
    void rougeWithUnequalLengthsAndClipping() {
        // P = 2/4, R = 2/2 -> F1 = 2/3; no shared bigram; LCS "a c"
        RougeScores s = RougeScores.of("a b c d", "a c");
        assertEquals(2.0 / 3, s.rouge1(), EPS);
        assertEquals(0.0, s.rouge2(), EPS);
        assertEquals(2.0 / 3, s.rougeL(), EPS);
        // "the" counted once: P = 1/3, R = 1/2 -> F1 = 0.4
        RougeScores clipped = RougeScores.of("the the the", "the cat");
        assertEquals(0.4, clipped.rouge1(), EPS);
        assertEquals(0.4, clipped.rougeL(), EPS);
        assertEquals(0.0, clipped.rouge2(), EPS);
        RougeScores same = RougeScores.of("The cat sat on the mat.", "the cat sat on the mat");
        assertEquals(new RougeScores(1, 1, 1), same);
        assertEquals(new RougeScores(0, 0, 0), RougeScores.of("", "the cat"));
        assertEquals(new RougeScores(0, 0, 0), RougeScores.of("!!", ""));
    }

    @Test
    void exactMatchAndF1WithSquadNormalisation() {
        assertEquals(new AnswerScores(1, 1), AnswerScores.of("The Cat!", "cat"));
        assertEquals(List.of("big", "red", "dog"), AnswerScores.tokens("A  big, red dog."));
        // p = big red dog, r = red dog: P = 2/3, R = 1 -> F1 = 0.8
        AnswerScores partial = AnswerScores.of("a big red dog", "the red dog");
        assertEquals(0.0, partial.exactMatch());
        assertEquals(0.8, partial.f1(), EPS);
        // multiplicity: x x y vs x y y share one x and one y: P = R = 2/3
        assertEquals(2.0 / 3, AnswerScores.of("x x y", "x y y").f1(), EPS);
        // both normalise to nothing: a match; one side empty: no match
        assertEquals(new AnswerScores(1, 1), AnswerScores.of("the", "a"));
        assertEquals(new AnswerScores(0, 0), AnswerScores.of("", "x"));
        assertEquals(new AnswerScores(0, 0), AnswerScores.of("foo", "bar"));
        // articles only as whole words
        assertEquals(List.of("theme", "answer"), AnswerScores.tokens("theme an answer"));
    }

    @Test
    void codeScoresLineByLine() {
        String reference = "\n    a = 1\n    b = 2\n    return a + b\n";
        // the joined reference lines are 9 + 1 + 9 + 1 + 16 = 36 characters; one substitution
        CodeScores one = CodeScores.of("\n    a = 1\n    b = 3\n    return a + b\n    extra = 4\n", reference);
        assertEquals(new CodeScores(1, 0, 1 - 1.0 / 36), one);
        // blank lines and trailing whitespace do not count, indentation does
        assertEquals(new CodeScores(1, 1, 1), CodeScores.of("    a = 1   \n\n    b = 2\n    return a + b", reference));
        assertEquals(0.0, CodeScores.of("a = 1\n    b = 2\n    return a + b", reference).firstLineExact());
        // a shorter prediction: 27 deletions
        assertEquals(new CodeScores(1, 0, 1 - 27.0 / 36), CodeScores.of("    a = 1", reference));
        assertEquals(new CodeScores(0, 0, 0), CodeScores.of("", reference));
        assertEquals(3, CodeScores.levenshtein("kitten", "sitting"));
        assertEquals(1 - 3.0 / 7, CodeScores.editSimilarity("kitten", "sitting"), EPS);
        assertEquals(1.0, CodeScores.editSimilarity("", ""));
    }

    @Test
    void metricColumnsAndNames() {
        assertEquals(List.of("rouge1", "rouge2", "rougeL"), TaskMetric.ROUGE.columns());
        assertEquals("rouge2", TaskMetric.ROUGE.primary());
        assertEquals(1, TaskMetric.ROUGE.primaryIndex());
        assertEquals(2, TaskMetric.CODE.primaryIndex());
        double[] code = TaskMetric.CODE.score("    a = 1", "\n    a = 1\n    b = 2\n    return a + b\n");
        assertEquals(1.0, code[0]);
        assertEquals(0.0, code[1]);
        assertEquals(0.25, code[2], EPS);
        assertEquals(TaskMetric.EXACT_MATCH, TaskMetric.fromName("exact-match"));
        assertEquals(TaskMetric.ROUGE, TaskMetric.forTaskFile(Path.of("data/cnn_dailymail.jsonl")));
        assertEquals(TaskMetric.ROUGE, TaskMetric.forTaskFile(Path.of("xsum-test.jsonl")));
        assertEquals(TaskMetric.EXACT_MATCH, TaskMetric.forTaskFile(Path.of("topv2-eval.jsonl")));
        assertEquals(TaskMetric.CODE, TaskMetric.forTaskFile(Path.of("tasks/python-body-completion.jsonl")));
        assertEquals(TaskMetric.CODE, TaskMetric.forTaskFile(Path.of("HumanEval.jsonl")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskMetric.forTaskFile(Path.of("mine.jsonl")));
        assertTrue(e.getMessage().contains("mine.jsonl: cannot tell the metric"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskMetric.fromName("bleu"));
    }

    @Test
    void predictionIsCutAtTheFirstStop() {
        TaskExample e = new TaskExample("x", "p", "r", List.of("\n\n", "#"), "f:1");
        assertEquals("a\nb", e.prediction("a\nb\n\nc # d"));
        assertEquals("a ", e.prediction("a # b\n\nc"));
        assertEquals("abc", TaskExample.of("x", "p", "r").prediction("abc"));
    }

    @Test
    void strategiesParse() {
        assertEquals(TaskStrategy.autoregressive(), TaskStrategy.parse("autoregressive"));
        assertEquals(TaskStrategy.earlyExit(4), TaskStrategy.parse("early-exit:4"));
        assertEquals(TaskStrategy.selfSpeculative(2, 3), TaskStrategy.parse(" self-speculative:2:3 "));
        assertEquals(4, TaskStrategy.parseList("autoregressive,early-exit,early-exit:2,self-speculative").size());
        assertEquals(List.of(TaskStrategy.autoregressive(), TaskStrategy.earlyExit(2), TaskStrategy.earlyExit(4),
                TaskStrategy.parse("self-speculative")), TaskStrategy.defaults(8));
        assertThrows(IllegalArgumentException.class, () -> TaskStrategy.parse("early-exit:x"));
        assertThrows(IllegalArgumentException.class, () -> TaskStrategy.parse("self-speculative:2"));
        assertThrows(IllegalArgumentException.class, () -> TaskStrategy.parse("autoregressive:3"));
        assertThrows(IllegalArgumentException.class, () -> TaskStrategy.parse("fast"));
    }
}
