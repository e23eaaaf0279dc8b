package dev.byoos.messaging.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

class DependencyWaitTest {

    private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(4));

    private final List<Waiting> waits = new ArrayList<>();
    private final List<Duration> pauses = new ArrayList<>();
    private final DependencyWait wait = new DependencyWait(FAST, waits::add);

    private boolean pause(Duration duration) {
        pauses.add(duration);
        return true;
    }

    @Test
    void backoffDoublesFromTheInitialDelayUpToItsCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertEquals(Duration.ofSeconds(1), backoff.delay(1));
        assertEquals(Duration.ofSeconds(2), backoff.delay(2));
        assertEquals(Duration.ofSeconds(16), backoff.delay(5));
        assertEquals(Duration.ofSeconds(30), backoff.delay(6));
        assertEquals(Duration.ofSeconds(30), backoff.delay(Integer.MAX_VALUE));
    }

    @Test
    void anOutageAnywhereInTheCauseChainIsTransientAndNothingElseIs() {
        DependencyUnavailableException outage = new DependencyUnavailableException("s3", "connection refused");
        assertSame(outage, DependencyFailures.unavailable(new IllegalStateException("wrapped", outage)).orElseThrow());
        assertFalse(DependencyFailures.isTransient(new IllegalArgumentException("bad spec")));
        assertFalse(DependencyFailures.isTransient(new UncheckedIOException(new IOException("disk full"))));
    }

    @Test
    void waitsOutAnOutageTellingWhatItWaitsForBeforeEachPause() {
        AtomicInteger calls = new AtomicInteger();
        String result = wait.call(() -> {
            if (calls.incrementAndGet() < 4) {
                throw new DependencyUnavailableException("registry", "503");
            }
            return "published";
        }, this::pause);

        assertEquals("published", result);
        assertEquals(4, calls.get());
        assertEquals(List.of(1, 2, 3), waits.stream().map(Waiting::attempt).toList());
        assertTrue(waits.stream().allMatch(w -> "registry".equals(w.dependency())));
        assertEquals(List.of(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(4)), pauses);
        assertEquals(pauses, waits.stream().map(Waiting::nextAttemptIn).toList());
    }

    @Test
    void aPermanentFailurePropagatesAtOnce() {
        IllegalArgumentException refused = new IllegalArgumentException("version taken");
        AtomicInteger calls = new AtomicInteger();
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> wait.call(() -> {
            calls.incrementAndGet();
            throw refused;
        }, this::pause));
        assertSame(refused, thrown);
        assertEquals(1, calls.get());
        assertTrue(waits.isEmpty());
    }

    @Test
    void aStoppedPauseAbandonsTheWaitWithTheLastFailure() {
        StopSignal stop = new StopSignal();
        stop.stop();
        DependencyUnavailableException outage = new DependencyUnavailableException("database", "down");
        WaitAbandonedException abandoned = assertThrows(WaitAbandonedException.class,
                () -> wait.call(() -> { throw outage; }, stop));
        assertSame(outage, abandoned.getCause());
        assertEquals(1, waits.size());
    }

    @Test
    void aStopSignalEndsAPauseInProgress() throws InterruptedException {
        StopSignal stop = new StopSignal();
        Thread stopper = new Thread(() -> {
            sleepQuietly(50);
            stop.stop();
        });
        stopper.start();
        assertFalse(stop.sleep(Duration.ofMinutes(5)), "the pause ends when stopped, not after five minutes");
        stopper.join();
        assertTrue(stop.isStopped());
    }

    @Test
    void theBoundedVariantGivesUpAfterItsLastAttemptAndNumbersTheAttempts() {
        List<Integer> attempts = new ArrayList<>();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> wait.call(attempt -> {
            attempts.add(attempt);
            throw new IllegalStateException("tool failed on attempt " + attempt);
        }, this::pause, 3, failure -> failure instanceof IllegalStateException));
        assertEquals("tool failed on attempt 3", thrown.getMessage());
        assertEquals(List.of(1, 2, 3), attempts);
        assertEquals(2, waits.size());
        assertNull(waits.get(0).dependency(), "a retried failure that is no outage names no dependency");
    }

    @Test
    void aListenerThatFailsDoesNotStopTheWait() {
        DependencyWait noisy = new DependencyWait(FAST, waiting -> { throw new IllegalStateException("kafka down"); });
        AtomicInteger calls = new AtomicInteger();
        assertEquals(2, noisy.call(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new DependencyUnavailableException("s3", "down");
            }
            return calls.get();
        }, this::pause));
    }

    @Test
    void theReactiveVariantResubscribesWhileTheOutageLastsAndPassesPermanentFailuresOn() {
        AtomicInteger subscriptions = new AtomicInteger();
        String stored = wait.retrying(() -> Uni.createFrom().item(subscriptions::incrementAndGet)
                .onItem().transform(n -> {
                    if (n < 3) {
                        throw new DependencyUnavailableException("s3", "unreachable");
                    }
                    return "stored after " + n;
                })).await().atMost(Duration.ofSeconds(10));
        assertEquals("stored after 3", stored);
        assertEquals(List.of(1, 2), waits.stream().map(Waiting::attempt).toList());

        AtomicInteger permanent = new AtomicInteger();
        assertThrows(IllegalArgumentException.class, () -> wait.<String>retrying(() -> {
            permanent.incrementAndGet();
            return Uni.createFrom().failure(new IllegalArgumentException("checksum mismatch"));
        }).await().atMost(Duration.ofSeconds(10)));
        assertEquals(1, permanent.get());
    }

    @Test
    void eachSubscriptionOfTheReactiveVariantCountsItsOwnAttempts() {
        AtomicInteger calls = new AtomicInteger();
        Uni<Integer> flaky = wait.retrying(() -> Uni.createFrom().item(calls::incrementAndGet).onItem().transform(n -> {
            if (n % 2 == 1) {
                throw new DependencyUnavailableException("s3", "blip");
            }
            return n;
        }));
        flaky.await().atMost(Duration.ofSeconds(10));
        flaky.await().atMost(Duration.ofSeconds(10));
        assertEquals(List.of(1, 1), waits.stream().map(Waiting::attempt).toList());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
