package dev.byoos.contract;

import java.util.List;

/**
 * Kafka topic names. Channel names in every service equal these topic names, so a grep for a
 * constant finds every producer and consumer of a topic.
 */
public final class Topics {

    /** Image specs submitted by other systems as CloudEvents; consumed by spec-service. */
    public static final String SPECS_SUBMITTED = "byoos.specs.submitted";
    /** Submitted specs that failed validation, with every violation; published by spec-service. */
    public static final String SPECS_REJECTED = "byoos.specs.rejected";
    /** Published by spec-service's outbox relay; consumed by build-worker. */
    public static final String BUILDS_REQUESTED = "byoos.builds.requested";
    /** A worker started a build; published by build-worker, consumed by spec-service. */
    public static final String BUILDS_STARTED = "byoos.builds.started";
    /** How far a stage is with a build (phase, percent, waiting); published by every stage, consumed by spec-service. */
    public static final String BUILDS_PROGRESS = "byoos.builds.progress";
    /** A user cancelled a build; published by spec-service's outbox, read by every build-worker. */
    public static final String BUILDS_CANCELLED = "byoos.builds.cancelled";
    /** Published by build-worker; consumed by artifact-service and spec-service. */
    public static final String BUILDS_COMPLETED = "byoos.builds.completed";
    /** A stage gave up on a build (any stage); consumed by spec-service. */
    public static final String BUILDS_FAILED = "byoos.builds.failed";
    /** Published by artifact-service; consumed by pack-publisher and spec-service. */
    public static final String ARTIFACTS_STORED = "byoos.artifacts.stored";
    /** Published by pack-publisher; consumed by spec-service. */
    public static final String PACKS_PUBLISHED = "byoos.packs.published";
    /** Pack versions deprecated or revoked; published by pack-publisher, consumed by artifact-service and spec-service. */
    public static final String PACKS_RETIRED = "byoos.packs.retired";

    /** Suffix of every consumer's dead-letter topic: {@code <topic>.dlq}. */
    public static final String DLQ_SUFFIX = ".dlq";

    /** A topic and the partition count it is created with (partitions bound a stage's parallelism). */
    public record TopicSpec(String name, int partitions) {
    }

    private Topics() {
    }

    public static String deadLetter(String topic) {
        return topic + DLQ_SUFFIX;
    }

    /** Every topic the pipeline uses, dead-letter topics included. */
    public static List<TopicSpec> all() {
        List<TopicSpec> main = List.of(
                new TopicSpec(SPECS_SUBMITTED, 3),
                new TopicSpec(SPECS_REJECTED, 3),
                new TopicSpec(BUILDS_REQUESTED, 6),
                new TopicSpec(BUILDS_STARTED, 3),
                new TopicSpec(BUILDS_PROGRESS, 3),
                new TopicSpec(BUILDS_CANCELLED, 3),
                new TopicSpec(BUILDS_COMPLETED, 6),
                new TopicSpec(BUILDS_FAILED, 3),
                new TopicSpec(ARTIFACTS_STORED, 6),
                new TopicSpec(PACKS_PUBLISHED, 3),
                new TopicSpec(PACKS_RETIRED, 3));
        var withDlq = new java.util.ArrayList<>(main);
        for (TopicSpec topic : main) {
            withDlq.add(new TopicSpec(deadLetter(topic.name()), 1));
        }
        return List.copyOf(withDlq);
    }
}
