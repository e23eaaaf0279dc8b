package dev.byoos.spec.observability;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.byoos.messaging.BuildTags;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.BuildState;

/**
 * The build read model's movements as Prometheus counters, tagged with team, cloud and format.
 * Callers report a change only after its transaction committed, and the read model applies each
 * event once (its id is recorded), so a redelivered event never counts twice.
 */
@ApplicationScoped
public class BuildMetrics {

    public static final String REQUESTED = "byoos.builds.requested";
    public static final String STARTED = "byoos.builds.started";
    public static final String FINISHED = "byoos.builds.finished";
    public static final String FAILURES = "byoos.builds.failures";
    public static final String OUTBOX_BACKLOG = "byoos.outbox.backlog";

    /** States a build is in once a worker took it up (a late build.started may arrive after BUILT). */
    private static final Set<BuildState> STARTED_STATES = EnumSet.of(BuildState.BUILDING, BuildState.BUILT,
            BuildState.STORED, BuildState.PUBLISHED);
    private static final Set<BuildState> WAITING_STATES = EnumSet.of(BuildState.ACCEPTED, BuildState.QUEUED);

    private final MeterRegistry registry;
    private final AtomicLong outboxBacklog = new AtomicLong();

    public BuildMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @PostConstruct
    void registerGauges() {
        Gauge.builder(OUTBOX_BACKLOG, outboxBacklog, AtomicLong::get)
                .description("Outbox records not yet published to Kafka after the relay's last pass")
                .register(registry);
    }

    /** Builds an intake or retry created: ACCEPTED ones were requested, REUSED ones finished at once. */
    public void created(Collection<BuildEntity> builds) {
        for (BuildEntity build : builds) {
            if (build.state == BuildState.REUSED) {
                finished(BuildTransition.of(build, BuildState.ACCEPTED));
            } else {
                counter(REQUESTED, "Builds requested: new targets, resubmissions needing work and retries", build.team,
                        build.targetCloud, build.targetFormat).increment();
            }
        }
    }

    public void transitioned(BuildTransition transition) {
        if (WAITING_STATES.contains(transition.from()) && STARTED_STATES.contains(transition.to())) {
            counter(STARTED, "Builds a worker started", transition.team(), transition.cloud(), transition.format())
                    .increment();
        }
        if (!transition.from().isTerminal() && transition.to().isTerminal()) {
            finished(transition);
        }
    }

    public void outboxBacklog(long unpublished) {
        outboxBacklog.set(unpublished);
    }

    private void finished(BuildTransition transition) {
        Counter.builder(FINISHED)
                .description("Builds that reached a terminal state, by outcome")
                .tags(BuildTags.of(transition.team(), transition.cloud(), transition.format())
                        .and("outcome", outcome(transition.to())))
                .register(registry).increment();
        if (transition.to() == BuildState.FAILED) {
            Counter.builder(FAILURES)
                    .description("Failed builds by the stage that gave up")
                    .tags(BuildTags.of(transition.team(), transition.cloud(), transition.format())
                            .and("stage", transition.failureStage() == null ? "unknown" : transition.failureStage()))
                    .register(registry).increment();
        }
    }

    private Counter counter(String name, String description, String team, String cloud, String format) {
        return Counter.builder(name).description(description)
                .tags(BuildTags.of(team, cloud, format))
                .register(registry);
    }

    private static String outcome(BuildState terminal) {
        return switch (terminal) {
            case PUBLISHED -> "succeeded";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
            case REUSED -> "reused";
            default -> throw new IllegalArgumentException(terminal + " is not terminal");
        };
    }

    /** One build's move in the read model, captured inside the transaction and reported after it. */
    public record BuildTransition(String team, String cloud, String format, BuildState from, BuildState to,
            String failureStage) {

        public static BuildTransition of(BuildEntity build, BuildState from) {
            return new BuildTransition(build.team, build.targetCloud, build.targetFormat, from, build.state,
                    build.failureStage);
        }
    }
}
