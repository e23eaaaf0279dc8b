package dev.byoos.spec.outbox;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** When the poller looks at the outbox: at once after start and while records may be left, rarely when idle. */
class OutboxPollerTest {

    private static final Duration IDLE = Duration.ofSeconds(15);
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void theFirstTickAfterStartAlwaysLooksForWhatACrashLeft() {
        assertTrue(OutboxPoller.due(null, 0, false, IDLE));
    }

    @Test
    void whileRecordsMayBeLeftEveryTickLooks() {
        assertTrue(OutboxPoller.due(0L, SECOND, true, IDLE));
    }

    @Test
    void anEmptiedOutboxIsLookedAtOnlyEveryIdleInterval() {
        assertFalse(OutboxPoller.due(0L, SECOND, false, IDLE));
        assertFalse(OutboxPoller.due(0L, IDLE.toNanos() - 1, false, IDLE));
        assertTrue(OutboxPoller.due(0L, IDLE.toNanos(), false, IDLE));
    }
}
