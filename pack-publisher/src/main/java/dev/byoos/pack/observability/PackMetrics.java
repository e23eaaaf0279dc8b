package dev.byoos.pack.observability;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.BuildTags;

/**
 * pack-publisher's Prometheus metrics: packs handled by outcome and the time from an
 * artifact.stored event to the pack's announcement. Tagged with team, cloud and format like every
 * stage's build metrics.
 */
@ApplicationScoped
public class PackMetrics {

    public static final String PACKS = "byoos.packs";
    public static final String PUBLISH_TIME = "byoos.pack.publish";
    public static final String WAITS = "byoos.pack.waits";

    /** Rendered, pushed and announced. */
    public static final String PUBLISHED = "published";
    /** The identical pack was in the registry already (a redelivery); announced again. */
    public static final String ALREADY_PUBLISHED = "already-published";
    /** Another pack holds the name and version: versions are immutable. */
    public static final String CONFLICT = "conflict";
    /** Nothing Palette could resolve (no cloud image for the target, ...): the build fails. */
    public static final String UNPUBLISHABLE = "unpublishable";
    /** Another team owns the pack name: the build fails, nothing is pushed. */
    public static final String NAME_TAKEN = "name-taken";
    /** The registry refused the push (not an outage): the build fails, retryably. */
    public static final String REJECTED = "rejected";

    private final MeterRegistry registry;

    public PackMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void handled(BuildCoordinates build, String outcome, Duration took) {
        Tags tags = BuildTags.of(build).and("outcome", outcome);
        Counter.builder(PACKS).description("artifact.stored events handled, by outcome").tags(tags).register(registry)
                .increment();
        Timer.builder(PUBLISH_TIME).description("Time to render, push and announce a pack").tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(5)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry).record(took);
    }

    /**
     * An attempt found the registry or the catalog's database unavailable; the event waits and is
     * tried again (its publish time includes the wait).
     *
     * @param waitingFor {@code registry} or {@code database}
     */
    public void waited(BuildCoordinates build, String waitingFor) {
        Counter.builder(WAITS).description("Publish attempts that found a dependency unavailable and waited")
                .tags(BuildTags.of(build).and("waiting_for", waitingFor)).register(registry).increment();
    }
}
