package dev.layerskip.generate;

import java.util.Arrays;

/**
 * One row's state during a self-speculative round: where it starts, how far it may draft, the drafts
 * taken so far with their distributions, and what it feeds next.
 */
final class RoundRow {

    final BatchRow row;
    /** The position of the row's last accepted token, fed first and not yet in the cache. */
    final int start;
    /** The repetition context's length through that token. */
    final int context;
    private final int limit; // at most remaining-1 drafts: a round yields up to drafts+1 tokens
    private final int[] drafts;
    private final double[][] draftProbs; // q per draft, kept when sampling for the accept rule
    private int count;
    private boolean open;
    private int input;

    /**
     * Begins a round for a row: its last accepted token joins the repetition context.
     *
     * @param row the row, not finished
     * @param start the row's cache length, where its last token goes
     */
    RoundRow(BatchRow row, int start) {
        row.beginStep();
        this.row = row;
        this.start = start;
        this.context = row.penalties.length();
        this.limit = Math.min(row.drafts, row.out.remaining() - 1);
        this.drafts = new int[limit];
        this.draftProbs = new double[limit][];
        this.open = limit > 0;
        this.input = row.token;
    }

    /** @return whether the row takes another draft at this step */
    boolean open() {
        return open;
    }

    /** @return the token the row feeds at this step */
    int input() {
        return input;
    }

    /** @return the drafts taken */
    int count() {
        return count;
    }

    /**
     * The position a step feeds and whether it is real: a row feeds its newest token once, then pads.
     *
     * @param step the step, from 0
     * @return 1 if the row feeds a real token at {@code start + step}, else 0
     */
    int realAt(int step) {
        return count == step ? 1 : 0;
    }

    /**
     * Takes a draft: it joins the context of the next draft and is fed at the next step. Drafting stops
     * at the limit or when the draft's confidence falls below the row's threshold.
     *
     * @param pick the draft
     */
    void take(DraftPick pick) {
        drafts[count] = pick.token();
        draftProbs[count] = pick.distribution();
        count++;
        row.penalties.push(pick.token());
        input = pick.token();
        if (pick.confidence() < row.draftLength.stopBelow() || count == limit) {
            open = false;
        }
    }

    /** @return the drafts taken, in order */
    int[] drafts() {
        return Arrays.copyOf(drafts, count);
    }

    /** @return the distributions they were drawn from (nulls when greedy) */
    double[][] draftProbs() {
        return Arrays.copyOf(draftProbs, count);
    }
}
