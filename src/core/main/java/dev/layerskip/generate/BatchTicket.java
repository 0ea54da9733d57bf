package dev.layerskip.generate;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One request of a {@link BatchScheduler}: its row, and the events its caller's thread replays to the
 * real listener. The scheduler thread records the row's tokens as events; {@link #replay} runs them on
 * the caller's thread, so that a slow consumer never holds the batch up.
 */
final class BatchTicket implements TokenListener {

    private static final Runnable DONE = () -> { };

    final Generator generator;
    final BlockingQueue<Runnable> events; // shared by the tickets of one request
    final BatchTicket forkOf; // the request's first ticket, whose prompt this one shares; null for it
    BatchRow row;
    volatile boolean cancel;
    final TokenListener consumer;

    BatchTicket(Generator generator, TokenListener consumer, BlockingQueue<Runnable> events, BatchTicket forkOf) {
        this.generator = generator;
        this.consumer = consumer;
        this.events = events;
        this.forkOf = forkOf;
    }

    /** Tells the caller's thread that this ticket's row left the batches. */
    void done() {
        events.add(DONE);
    }

    /** Replays the group's events to its listeners on this thread until every row is done; rethrows a listener's error. */
    static void replay(List<BatchTicket> group, BlockingQueue<Runnable> events) {
        RuntimeException listenerError = null;
        int done = 0;
        while (done < group.size()) {
            Runnable event;
            try {
                event = events.poll(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                group.forEach(t -> t.cancel = true); // finish at the next token, then report the interruption
                Thread.currentThread().interrupt();
                continue;
            }
            if (event == DONE) {
                done++;
                continue;
            }
            if (event != null && listenerError == null) {
                try {
                    event.run();
                } catch (RuntimeException e) {
                    listenerError = e; // as with a generator: the consumer's error ends the generation
                    group.forEach(t -> t.cancel = true);
                }
            }
            for (BatchTicket t : group) {
                if (listenerError == null && t.consumer.cancelled()) {
                    t.cancel = true;
                }
            }
        }
        if (listenerError != null) {
            throw listenerError;
        }
    }

    @Override
    public void onToken(int tokenId, String textDelta) {
        events.add(() -> consumer.onToken(tokenId, textDelta));
    }

    @Override
    public void onPromptLogprobs(List<TokenLogprob> logprobs) {
        events.add(() -> consumer.onPromptLogprobs(logprobs));
    }

    @Override
    public void onLogprob(TokenLogprob logprob) {
        events.add(() -> consumer.onLogprob(logprob));
    }

    @Override
    public void onDraft(int[] draftIds, int accepted) {
        events.add(() -> consumer.onDraft(draftIds, accepted));
    }

    @Override
    public boolean cancelled() {
        return cancel;
    }
}
