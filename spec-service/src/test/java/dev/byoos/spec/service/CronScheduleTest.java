package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

import org.junit.jupiter.api.Test;

class CronScheduleTest {

    @Test
    void theExpressionIsReadInItsZoneAcrossDaylightSaving() {
        CronSchedule berlin = CronSchedule.parse("0 3 * * *", "Europe/Berlin");
        // Winter: 03:00 in Berlin is 02:00 UTC; summer (after 2026-03-29): 01:00 UTC.
        assertEquals(OffsetDateTime.parse("2026-01-10T02:00Z"), berlin.nextAfter(Instant.parse("2026-01-09T12:00:00Z")));
        assertEquals(OffsetDateTime.parse("2026-07-10T01:00Z"), berlin.nextAfter(Instant.parse("2026-07-09T12:00:00Z")));
    }

    @Test
    void unreadableExpressionsAndZonesAndTooFrequentSchedulesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 3 * *", "UTC"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 3 * * * 2026", "UTC"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 3 * * *", "Mars/Olympus"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 3 * * *", "../../etc/localtime"));
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 ".repeat(60), "UTC"));
        Instant now = Instant.parse("2026-12-05T07:00:00Z");
        assertThrows(IllegalArgumentException.class,
                () -> CronSchedule.parse("*/5 * * * *", "UTC").requireMinInterval(Duration.ofHours(1), now));
        // Twice an hour apart only once a year, in January: still refused.
        assertThrows(IllegalArgumentException.class,
                () -> CronSchedule.parse("0,30 3 1 1 *", "UTC").requireMinInterval(Duration.ofHours(1), now));
        CronSchedule.parse("0 3 * * 1", "UTC").requireMinInterval(Duration.ofHours(1), now);
    }
}
