package dev.byoos.messaging.resilience;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A pause that ends early, for good, once {@link #stop()} is called: a service's {@code @PreDestroy}
 * stops every wait at once instead of holding shutdown for a backoff.
 */
public final class StopSignal implements Pause {

    private final CountDownLatch stopped = new CountDownLatch(1);

    public void stop() {
        stopped.countDown();
    }

    public boolean isStopped() {
        return stopped.getCount() == 0;
    }

    @Override
    public boolean sleep(Duration duration) {
        try {
            return !stopped.await(duration.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
