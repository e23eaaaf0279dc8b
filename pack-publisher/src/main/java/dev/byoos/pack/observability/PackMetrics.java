package dev.byoos.pack.observability;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

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

    /** Rendered, pushed and announced. */
    public static final String PUBLISHED = "published";
    /** The identical pack was in the registry already (a redelivery); announced again. */
    public static final String ALREADY_PUBLISHED = "already-published";
    /** Another pack holds the name and version: versions are immutable. */
    public static final String CONFLICT = "conflict";

    @Inject
    MeterRegistry registry;

    public void handled(BuildCoordinates build, String outcome, Duration took) {
        Tags tags = BuildTags.of(build).and("outcome", outcome);
        Counter.builder(PACKS).description("artifact.stored events handled, by outcome").tags(tags).register(registry)
                .increment();
        Timer.builder(PUBLISH_TIME).description("Time to render, push and announce a pack").tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(5)).maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry).record(took);
    }
}
