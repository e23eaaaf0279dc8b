package dev.byoos.spec.service;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/**
 * A schedule's 5-field Unix cron expression read in an IANA time zone (so 02:00 stays 02:00 local
 * across daylight saving). {@link #parse} refuses what it cannot read; {@link #requireMinInterval}
 * what would fire more often than the installation allows.
 */
final class CronSchedule {

    static final int MAX_EXPRESSION_LENGTH = 100;
    /** Consecutive firings checked against the minimum interval: enough to cover any list or step pattern's cycle within a day or a year. */
    private static final int GAPS_CHECKED = 400;
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final ExecutionTime executions;
    private final ZoneId zone;

    private CronSchedule(ExecutionTime executions, ZoneId zone) {
        this.executions = executions;
        this.zone = zone;
    }

    /**
     * @throws IllegalArgumentException saying what is wrong: an unreadable expression, or an unknown
     *         zone (only region ids such as Europe/Berlin, or UTC)
     */
    static CronSchedule parse(String expression, String timeZone) {
        if (expression == null || expression.isBlank() || expression.length() > MAX_EXPRESSION_LENGTH) {
            throw new IllegalArgumentException("cron must be a 5-field Unix cron expression of at most "
                    + MAX_EXPRESSION_LENGTH + " characters, e.g. \"0 3 * * 1\"");
        }
        if (timeZone == null || timeZone.isBlank()) {
            throw new IllegalArgumentException("timeZone is required: an IANA zone such as Europe/Berlin, or UTC");
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(timeZone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone " + timeZone + " is not an IANA time zone (e.g. Europe/Berlin, UTC)");
        }
        try {
            return new CronSchedule(ExecutionTime.forCron(UNIX.parse(expression.trim())), zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cron \"" + expression + "\" is not a 5-field Unix cron expression: "
                    + e.getMessage());
        }
    }

    /**
     * Refuses a schedule that fires twice within {@code minInterval}: every firing is a full
     * rebuild of every target, and a team must not be able to keep the workers busy with one spec.
     */
    void requireMinInterval(Duration minInterval, Instant now) {
        OffsetDateTime previous = nextAfter(now);
        for (int gap = 0; gap < GAPS_CHECKED && previous != null; gap++) {
            OffsetDateTime next = nextAfter(previous.toInstant());
            if (next != null && Duration.between(previous, next).compareTo(minInterval) < 0) {
                throw new IllegalArgumentException("the schedule fires at " + previous + " and again at " + next
                        + "; a schedule may fire at most once every " + minInterval + " (byoos.spec.schedules.min-interval)");
            }
            previous = next;
        }
    }

    /** The first firing strictly after {@code instant}, in UTC; null if there is none. */
    OffsetDateTime nextAfter(Instant instant) {
        return executions.nextExecution(ZonedDateTime.ofInstant(instant, zone))
                .map(next -> next.toOffsetDateTime().withOffsetSameInstant(ZoneOffset.UTC))
                .orElse(null);
    }
}
