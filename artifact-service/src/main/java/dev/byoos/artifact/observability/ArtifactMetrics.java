package dev.byoos.artifact.observability;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.BuildTags;

/**
 * artifact-service's Prometheus metrics: artifacts by outcome, the bytes promoted into the
 * content-addressed bucket, and how long verification and promotion took. Tagged with team,
 * cloud and format like every stage's build metrics.
 */
@ApplicationScoped
public class ArtifactMetrics {

    public static final String ARTIFACTS = "byoos.artifacts";
    public static final String STORED_BYTES = "byoos.artifact.stored.bytes";
    public static final String PROMOTION_TIME = "byoos.artifact.promotion";
    public static final String STORAGE_UNAVAILABLE = "byoos.artifact.storage.unavailable";
    public static final String REFUSED_EVENTS = "byoos.artifact.events.refused";

    /** Verified and promoted. */
    public static final String STORED = "stored";
    /** Refused: the staged bytes did not match what the build reported. */
    public static final String REJECTED = "rejected";
    /** A redelivered build.completed whose artifact was stored already; announced again. */
    public static final String ALREADY_STORED = "already-stored";

    private final MeterRegistry registry;

    public ArtifactMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void stored(BuildCoordinates build, String format, long bytes, Duration promotion) {
        counted(build, format, STORED);
        Counter.builder(STORED_BYTES).baseUnit("bytes").description("Image bytes promoted into the artifacts bucket")
                .tags(tags(build, format)).register(registry).increment(bytes);
        Timer.builder(PROMOTION_TIME).description("Time to verify a staged image's checksum and promote it")
                .tags(tags(build, format)).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(30))
                .register(registry).record(promotion);
    }

    public void counted(BuildCoordinates build, String format, String outcome) {
        Counter.builder(ARTIFACTS).description("build.completed events handled, by outcome")
                .tags(tags(build, format).and("outcome", outcome)).register(registry).increment();
    }

    /** An attempt to promote a build's image found S3 unavailable; the event waits and is tried again. */
    public void storageUnavailable(BuildCoordinates build, String format) {
        Counter.builder(STORAGE_UNAVAILABLE)
                .description("Attempts to store an artifact that found S3 unavailable and were retried")
                .tags(tags(build, format)).register(registry).increment();
    }

    /**
     * A build.completed claimed more than the build's record grants and was dead-lettered. Tagged by
     * reason only: the event's team is the claim that was refused.
     */
    public void refused(String reason) {
        Counter.builder(REFUSED_EVENTS)
                .description("build.completed events refused for contradicting this service's record of the build")
                .tag("reason", reason).register(registry).increment();
    }

    /** @param format the stored image's format, as the build reported it */
    private static Tags tags(BuildCoordinates build, String format) {
        return BuildTags.of(build.team(), build.target().cloud(), format);
    }
}
