package dev.byoos.worker.observability;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.BuildTags;

/**
 * The worker's Prometheus metrics: how long requests waited in Kafka, how long each build phase
 * took, how many builds ran to which outcome, which failures (by category: spec, infrastructure,
 * builder) ended builds and which were retried, the attempts that lost their lease to another
 * worker, the bytes staged, and how many of the worker's build slots are busy. Tagged with team, cloud and format like spec-service's build counters.
 */
@ApplicationScoped
public class WorkerMetrics {

    public static final String QUEUE_TIME = "byoos.build.queue";
    public static final String PHASE_TIME = "byoos.build.phase";
    public static final String BUILD_TIME = "byoos.build.duration";
    public static final String UPLOADED_BYTES = "byoos.build.uploaded.bytes";
    public static final String FAILURES = "byoos.build.failures";
    public static final String RETRIES = "byoos.build.retries";
    public static final String LEASES_LOST = "byoos.build.leases.lost";
    public static final String DEPENDENCY_WAITS = "byoos.dependency.waits";
    public static final String SLOTS = "byoos.worker.slots";
    public static final String SLOTS_BUSY = "byoos.worker.slots.busy";

    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";
    /** Stopped because another worker's later attempt took the build over; it announces the outcome. */
    public static final String ABANDONED = "abandoned";

    private final MeterRegistry registry;
    private final AtomicInteger busySlots = new AtomicInteger();

    /** @param slots the blocking pool's size: the number of builds a worker runs at once */
    WorkerMetrics(MeterRegistry registry,
            @ConfigProperty(name = "smallrye.messaging.worker.builds.max-concurrency") int slots) {
        this.registry = registry;
        Gauge.builder(SLOTS, () -> slots).description("Builds this worker can run at once").register(registry);
        Gauge.builder(SLOTS_BUSY, busySlots, AtomicInteger::get).description("Builds this worker is running")
                .register(registry);
    }

    /** A build takes a slot; closing the returned handle gives it back. */
    public Slot occupySlot() {
        busySlots.incrementAndGet();
        return busySlots::decrementAndGet;
    }

    /** A busy build slot. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** @param waited from the request's CloudEvent time (when the outbox relay sent it) to now */
    public void queued(BuildCoordinates build, Duration waited) {
        timer(QUEUE_TIME, "Time build requests waited in Kafka before a worker took them", tags(build))
                .record(waited.isNegative() ? Duration.ZERO : waited);
    }

    public void phases(BuildCoordinates build, Map<String, Duration> phases) {
        phases.forEach((phase, took) -> timer(PHASE_TIME, "Time a build spent in each phase",
                tags(build).and("phase", phase)).record(took));
    }

    public void built(BuildCoordinates build, String outcome, Duration took) {
        timer(BUILD_TIME, "Time from a build's start to its outcome", tags(build).and("outcome", outcome))
                .record(took);
    }

    /** A build failed for good (after its last attempt, or out of time). */
    public void failed(BuildCoordinates build, String category, String code) {
        Counter.builder(FAILURES).description("Builds that failed, by failure category and code")
                .tags(tags(build).and("category", category, "code", code)).register(registry).increment();
    }

    /** An attempt failed for a reason the worker retries (an infrastructure failure). */
    public void retried(BuildCoordinates build, String category, String code) {
        Counter.builder(RETRIES).description("Build attempts that failed and were tried again")
                .tags(tags(build).and("category", category, "code", code)).register(registry).increment();
    }

    /** An attempt lost its lease to a later attempt on another worker and abandoned its result. */
    public void leaseLost(BuildCoordinates build) {
        Counter.builder(LEASES_LOST).description("Build attempts that lost their lease to a later attempt and"
                + " abandoned their result").tags(tags(build)).register(registry).increment();
    }

    /** A step of handling a request met an outage of {@code dependency} ({@code s3}, {@code kafka}) and waits. */
    public void waited(String dependency) {
        Counter.builder(DEPENDENCY_WAITS).description("Pauses of request handling waiting out an outage, by dependency")
                .tags("dependency", dependency).register(registry).increment();
    }

    public void uploaded(BuildCoordinates build, long bytes) {
        Counter.builder(UPLOADED_BYTES).baseUnit("bytes").description("Image bytes staged in S3")
                .tags(tags(build)).register(registry).increment(bytes);
    }

    private Timer timer(String name, String description, Tags tags) {
        return Timer.builder(name).description(description).tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
    }

    private static Tags tags(BuildCoordinates build) {
        return BuildTags.of(build);
    }
}
