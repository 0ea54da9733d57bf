package dev.layerskip.generate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the two threads of a {@link SpeculativePipeline} share: the drafted positions not yet taken,
 * where the drafter goes on (an epoch, bumped at every rejection, with its restart position and
 * token), how far it may run ahead, and whether it must stop or has failed.
 *
 * <p>Every change happens under one lock and bumps a volatile version, so a waiting thread spins on
 * the version for a short while (a step takes well under a millisecond on small models, and a parked
 * thread takes tens of microseconds to wake) before it parks on a condition.
 */
final class DraftHandoff {

    private static final long SPIN_NANOS = 300_000;

    /** Where the drafter works: its epoch, the position to compute, and the token fed there. */
    record Work(int epoch, int position, int token) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readyChanged = lock.newCondition();
    private final Condition workChanged = lock.newCondition();
    private final ArrayDeque<DraftedPosition> ready = new ArrayDeque<>(); // guarded: consecutive positions from the base
    private int epoch; // guarded
    private int restartPosition; // guarded: where the drafter goes on in this epoch
    private int restartToken; // guarded: what it feeds there
    private int horizon; // guarded: the drafter computes positions below this
    private boolean stopped; // guarded
    private RuntimeException failure; // guarded: the drafter's
    private volatile long version; // bumped under the lock at every change above

    /**
     * @param position where drafting starts
     * @param token what is fed there
     * @param horizon the drafter computes positions below this
     */
    DraftHandoff(int position, int token, int horizon) {
        this.restartPosition = position;
        this.restartToken = token;
        this.horizon = horizon;
    }

    // ---- the verifier's side

    /** @return the drafted positions ready from the base on, waiting for at least one; null if the drafter failed */
    List<DraftedPosition> awaitReady() {
        while (true) {
            long seen;
            lock.lock();
            try {
                if (failure != null) {
                    return null;
                }
                if (!ready.isEmpty()) {
                    List<DraftedPosition> taken = new ArrayList<>(ready);
                    ready.clear();
                    return taken;
                }
                seen = version;
            } finally {
                lock.unlock();
            }
            awaitChange(seen, readyChanged);
        }
    }

    /**
     * Starts a new epoch after a rejection: positions drafted so far are void.
     *
     * @param position the first position of the new epoch
     * @param token the full model's token fed there
     */
    void restart(int position, int token) {
        lock.lock();
        try {
            epoch++;
            restartPosition = position;
            restartToken = token;
            dropReady();
            changed(workChanged);
        } finally {
            lock.unlock();
        }
    }

    /** @param limit the drafter may compute positions below this */
    void allowUpTo(int limit) {
        lock.lock();
        try {
            horizon = limit;
            changed(workChanged);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the drafter (it returns within one draft step) and frees what nobody will verify. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            dropReady();
            changed(workChanged);
        } finally {
            lock.unlock();
        }
    }

    /** @return the drafter's failure, or null */
    RuntimeException failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    // ---- the drafter's side

    /**
     * Waits until the drafter may compute a position.
     *
     * @param done the work just finished (its position and token are where the drafter goes on unless
     *     a new epoch started), or null at the start
     * @param next the draft just taken, fed at the next position
     * @return the next work, or null once stopped
     */
    Work next(Work done, int next) {
        while (true) {
            long seen;
            Work work;
            lock.lock();
            try {
                if (stopped) {
                    return null;
                }
                work = done != null && done.epoch() == epoch ? new Work(epoch, done.position() + 1, next)
                        : new Work(epoch, restartPosition, restartToken);
                if (work.position() < horizon) {
                    return work;
                }
                seen = version;
            } finally {
                lock.unlock();
            }
            awaitChange(seen, workChanged);
        }
    }

    /**
     * Hands a drafted position to the verifier, unless its epoch ended (then it is freed).
     *
     * @param work the work it was computed for
     * @param position the result
     */
    void offer(Work work, DraftedPosition position) {
        lock.lock();
        try {
            if (work.epoch() == epoch && !stopped) {
                ready.add(position);
                changed(readyChanged);
            } else {
                position.exitState().close(); // fed a rejected draft
            }
        } finally {
            lock.unlock();
        }
    }

    /** @param e why the drafter stopped */
    void fail(RuntimeException e) {
        lock.lock();
        try {
            failure = e;
            changed(readyChanged);
        } finally {
            lock.unlock();
        }
    }

    // ---- both

    /** Spins while the state stays at {@code seen}, then parks on the condition until it changes. */
    private void awaitChange(long seen, Condition condition) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (version == seen) {
            if (System.nanoTime() > deadline) {
                lock.lock();
                try {
                    while (version == seen) {
                        condition.awaitUninterruptibly();
                    }
                } finally {
                    lock.unlock();
                }
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Publishes a change and wakes a parked waiter; the caller holds the lock. */
    private void changed(Condition condition) {
        version++;
        condition.signal();
    }

    /** Frees drafted positions nobody will verify; the caller holds the lock. */
    private void dropReady() {
        for (DraftedPosition stale : ready) {
            stale.exitState().close();
        }
        ready.clear();
    }
}
