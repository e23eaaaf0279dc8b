package dev.byoos.messaging.resilience;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

/**
 * The factory's one way to wait out a dependency: try, and while the failure is transient
 * ({@link DependencyFailures}), tell the {@link WaitListener} what is waited for, pause with capped
 * exponential {@link Backoff}, and try again. Any other failure is the caller's to handle at once.
 *
 * <p>Blocking consumers call {@link #call(Supplier, Pause)}; reactive ones wrap their pipeline with
 * {@link #retrying(Supplier)}. A bounded variant retries a caller-chosen kind of failure a fixed
 * number of times (build-worker's attempts at a build).
 */
public final class DependencyWait {

    private static final Logger LOG = Logger.getLogger(DependencyWait.class);

    private final Backoff backoff;
    private final WaitListener listener;

    public DependencyWait(Backoff backoff, WaitListener listener) {
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public Backoff backoff() {
        return backoff;
    }

    /**
     * Runs {@code action} until it succeeds or fails permanently; waits out transient failures for
     * as long as they last.
     *
     * @throws WaitAbandonedException when {@code pause} says to stop while waiting
     */
    public <T> T call(Supplier<T> action, Pause pause) {
        return call(attempt -> action.get(), pause, Integer.MAX_VALUE, DependencyFailures::isTransient);
    }

    /**
     * Runs attempt 1, 2, … of {@code action} (it is given the attempt's number) while it fails
     * with a failure {@code retryable} accepts, at most {@code maxAttempts} times; the last
     * failure, or the first one that is not retryable, propagates.
     *
     * @throws WaitAbandonedException when {@code pause} says to stop while waiting
     */
    public <T> T call(IntFunction<T> action, Pause pause, int maxAttempts, Predicate<Throwable> retryable) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        for (int attempt = 1;; attempt++) {
            try {
                return action.apply(attempt);
            } catch (RuntimeException failure) {
                if (attempt >= maxAttempts || !retryable.test(failure)) {
                    throw failure;
                }
                Duration delay = backoff.delay(attempt);
                tell(new Waiting(dependencyOf(failure), attempt, failure, delay));
                if (!pause.sleep(delay)) {
                    throw new WaitAbandonedException(failure);
                }
            }
        }
    }

    /**
     * {@code action}'s Uni, subscribed again after each transient failure once the backoff has
     * passed, indefinitely; a permanent failure is passed on. The pause runs on Mutiny's default
     * executor: callers bound to a Vert.x context emit back on it.
     */
    public <T> Uni<T> retrying(Supplier<? extends Uni<? extends T>> action) {
        return Uni.createFrom().deferred(() -> {
            AtomicInteger attempts = new AtomicInteger();
            return Uni.createFrom().<T>deferred(action::get)
                    .onFailure(DependencyFailures::isTransient).call(failure -> {
                        int attempt = attempts.incrementAndGet();
                        Duration delay = backoff.delay(attempt);
                        tell(new Waiting(dependencyOf(failure), attempt, failure, delay));
                        return Uni.createFrom().voidItem().onItem().delayIt().by(delay);
                    })
                    .onFailure(DependencyFailures::isTransient).retry().indefinitely();
        });
    }

    private void tell(Waiting waiting) {
        try {
            listener.waiting(waiting);
        } catch (RuntimeException e) {
            // Announcing a wait is informational; the wait goes on without it.
            LOG.debugf("wait listener failed: %s", e.getMessage());
        }
    }

    private static String dependencyOf(Throwable failure) {
        return DependencyFailures.unavailable(failure).map(DependencyUnavailableException::dependency).orElse(null);
    }
}
