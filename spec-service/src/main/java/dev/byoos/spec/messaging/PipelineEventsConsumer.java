package dev.byoos.spec.messaging;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.observability.BuildMetrics.BuildTransition;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.PipelineStage;

/**
 * Keeps the build read model current from every stage's events. Idempotent: each CloudEvent id is
 * recorded once (primary key), and a redelivered event changes nothing. A message that is not a
 * well-formed event of the expected type is nacked and lands in the topic's dead-letter topic.
 * Progress reports are not events of the timeline: they only replace the build's previous report.
 */
@ApplicationScoped
public class PipelineEventsConsumer {

    private static final Logger LOG = Logger.getLogger(PipelineEventsConsumer.class);

    @Inject
    BuildMetrics metrics;

    @Incoming(Topics.BUILDS_STARTED)
    public Uni<Void> onBuildStarted(Message<String> message) {
        return handle(message, EventTypes.BUILD_STARTED);
    }

    @Incoming(Topics.BUILDS_COMPLETED)
    public Uni<Void> onBuildCompleted(Message<String> message) {
        return handle(message, EventTypes.BUILD_COMPLETED);
    }

    @Incoming(Topics.BUILDS_FAILED)
    public Uni<Void> onBuildFailed(Message<String> message) {
        return handle(message, EventTypes.BUILD_FAILED);
    }

    @Incoming(Topics.ARTIFACTS_STORED)
    public Uni<Void> onArtifactStored(Message<String> message) {
        return handle(message, EventTypes.ARTIFACT_STORED);
    }

    @Incoming(Topics.PACKS_PUBLISHED)
    public Uni<Void> onPackPublished(Message<String> message) {
        return handle(message, EventTypes.PACK_PUBLISHED);
    }

    /**
     * A stage's progress report replaces the build's previous one unless it is stale
     * ({@link BuildEntity#recordProgress}). Reports are frequent and informational, so they are not
     * recorded in the timeline; comparing report times keeps a redelivered one from changing anything.
     */
    @Incoming(Topics.BUILDS_PROGRESS)
    public Uni<Void> onBuildProgress(Message<String> message) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, EventTypes.BUILD_PROGRESS);
            BuildProgress report = EventJson.read(message.getPayload(), BuildProgress.class);
            PipelineStage stage = PipelineStage.of(report.stage()).orElseThrow(
                    () -> new MalformedEventException("unknown stage '" + report.stage() + "'", null));
            UUID buildId = parseBuildId(report.build().buildId());
            return Panache.withTransaction(() -> BuildEntity.recordProgress(buildId, stage, report, occurredAt(cloudEvent)));
        }), message, EventTypes.BUILD_PROGRESS);
    }

    private Uni<Void> handle(Message<String> message, String expectedType) {
        return settle(Uni.createFrom().deferred(() -> {
            IncomingCloudEventMetadata<?> cloudEvent = CloudEventMessages.attributes(message, expectedType);
            BuildUpdate update = BuildUpdate.parse(expectedType, message.getPayload());
            OffsetDateTime occurredAt = occurredAt(cloudEvent);
            UUID buildId = parseBuildId(update.coordinates().buildId());
            return Panache.withTransaction(() -> BuildEventEntity.recordFirstDelivery(cloudEvent.getId(), buildId,
                    expectedType, cloudEvent.getSource().toString(), occurredAt, update.summary())
                    .flatMap(first -> first ? applyTo(buildId, update, occurredAt)
                            : Uni.createFrom().<BuildTransition>nullItem()));
        })
                // Counted after the commit: a redelivery finds the event id recorded and moves nothing.
                .invoke(transition -> {
                    if (transition != null) {
                        metrics.transitioned(transition);
                    }
                }), message, expectedType);
    }

    /** Acknowledges the message once its work is committed; dead-letters it when the work fails. */
    private static Uni<Void> settle(Uni<?> work, Message<String> message, String type) {
        return work
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering %s event: %s", type, failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private static OffsetDateTime occurredAt(IncomingCloudEventMetadata<?> cloudEvent) {
        return cloudEvent.getTimeStamp().map(time -> time.toOffsetDateTime()).orElse(OffsetDateTime.now(ZoneOffset.UTC));
    }

    private static Uni<BuildTransition> applyTo(UUID buildId, BuildUpdate update, OffsetDateTime occurredAt) {
        // Locked: each topic has its own consumer, so two stages' events for one build can be applied
        // at once. Unlocked, an artifact and a pack applied together could each miss the other and
        // leave the build STORED with both known.
        return BuildEntity.<BuildEntity>findById(buildId, LockModeType.PESSIMISTIC_WRITE).flatMap(build -> {
            if (build == null) {
                // The event names a build this service never created: nothing to project it onto.
                return Uni.createFrom().failure(new MalformedEventException("unknown build " + buildId, null));
            }
            BuildState before = build.state;
            update.applyTo(build);
            build.forgetProgressOfPastStages();
            build.updatedAt = OffsetDateTime.now(ZoneOffset.UTC);
            BuildTransition transition = BuildTransition.of(build, before);
            return recordPassedThrough(build, update.reached(), occurredAt).replaceWith(transition);
        });
    }

    /**
     * The build_changed trigger records the state a build lands in. A build can also pass through
     * the state an event reports without landing there: its stage's event arrived after the next
     * stage's (each topic has its own consumer), so the build went from BUILDING straight to STORED,
     * or from BUILT straight to PUBLISHED. That state is recorded here, at the event's time but
     * before every later state the build has entered, so the timeline lists every stage in order.
     */
    private static Uni<Void> recordPassedThrough(BuildEntity build, BuildState reached, OffsetDateTime occurredAt) {
        if (reached == null || !build.state.isOnTheWayTo(BuildState.PUBLISHED) || !reached.isBefore(build.state)) {
            return Uni.createFrom().voidItem();
        }
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                insert into build_transition (build_id, state, entered_at)
                select :build, :state, least(:occurred,
                        coalesce((select min(entered_at) from build_transition
                                  where build_id = :build and state in (:later)), now()) - interval '1 microsecond')
                on conflict do nothing""")
                .setParameter("build", build.id)
                .setParameter("state", reached.name())
                .setParameter("occurred", occurredAt)
                .setParameter("later", BuildState.after(reached).stream().map(BuildState::name).toList())
                .executeUpdate())
                .replaceWithVoid();
    }

    private static UUID parseBuildId(String buildId) {
        try {
            return UUID.fromString(buildId);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId '" + buildId + "' is not a UUID", e);
        }
    }

    /** What one event changes on a build. Data fields are recorded even when the state cannot move. */
    private sealed interface BuildUpdate {

        BuildCoordinates coordinates();

        String summary();

        void applyTo(BuildEntity build);

        /** The state the event says the build reached, or null for one that is not a stage done. */
        BuildState reached();

        static BuildUpdate parse(String type, String payload) {
            return switch (type) {
                case EventTypes.BUILD_STARTED -> new Started(EventJson.read(payload, BuildStarted.class));
                case EventTypes.BUILD_COMPLETED -> new Completed(EventJson.read(payload, BuildCompleted.class));
                case EventTypes.BUILD_FAILED -> new Failed(EventJson.read(payload, BuildFailed.class));
                case EventTypes.ARTIFACT_STORED -> new Stored(EventJson.read(payload, ArtifactStored.class));
                case EventTypes.PACK_PUBLISHED -> new Published(EventJson.read(payload, PackPublished.class));
                default -> throw new MalformedEventException("unsupported event type " + type, null);
            };
        }

        record Started(BuildStarted event) implements BuildUpdate {
            public BuildCoordinates coordinates() {
                return event.build();
            }

            public String summary() {
                return "started on worker " + event.worker();
            }

            public void applyTo(BuildEntity build) {
                build.state = build.state.advanceTo(BuildState.BUILDING);
            }

            public BuildState reached() {
                return BuildState.BUILDING;
            }
        }

        record Completed(BuildCompleted event) implements BuildUpdate {
            public BuildCoordinates coordinates() {
                return event.build();
            }

            public String summary() {
                return "built " + event.image().format() + " image, " + event.image().size() + " bytes, sha256 "
                        + event.image().sha256() + " in " + event.durationMillis() + " ms";
            }

            public BuildState reached() {
                return BuildState.BUILT;
            }

            public void applyTo(BuildEntity build) {
                build.state = build.state.advanceTo(BuildState.BUILT);
                if (event.bootTest() != null) {
                    build.bootTestResult = event.bootTest().result();
                    build.bootTestDetail = event.bootTest().detail();
                    build.bootTestMillis = event.bootTest().durationMillis();
                }
            }
        }

        record Failed(BuildFailed event) implements BuildUpdate {
            public BuildCoordinates coordinates() {
                return event.build();
            }

            public String summary() {
                String category = event.category() == null ? "" : " (" + event.category()
                        + (event.attempts() > 0 ? ", after " + event.attempts() + " attempts" : "") + ")";
                return event.stage() + " failed" + category + ": " + event.code() + ": " + event.reason();
            }

            public BuildState reached() {
                return null;
            }

            public void applyTo(BuildEntity build) {
                BuildState next = build.state.advanceTo(BuildState.FAILED);
                if (next == BuildState.FAILED && build.state != BuildState.FAILED) {
                    build.failureStage = event.stage();
                    build.failureCode = event.code();
                    build.failureReason = event.reason();
                    build.failureCategory = event.category();
                    build.failureAttempts = event.attempts() > 0 ? event.attempts() : null;
                }
                build.state = next;
            }
        }

        record Stored(ArtifactStored event) implements BuildUpdate {
            public BuildCoordinates coordinates() {
                return event.build();
            }

            public String summary() {
                return "stored at " + event.uri();
            }

            public BuildState reached() {
                return BuildState.STORED;
            }

            public void applyTo(BuildEntity build) {
                build.artifactUri = event.uri();
                build.artifactSha256 = event.sha256();
                build.artifactSize = event.size();
                build.state = build.state.advanceTo(build.packReference == null ? BuildState.STORED : BuildState.PUBLISHED);
            }
        }

        record Published(PackPublished event) implements BuildUpdate {
            public BuildCoordinates coordinates() {
                return event.build();
            }

            public String summary() {
                return "pack published as " + event.reference();
            }

            /**
             * Each topic is consumed on its own, so the pack can be heard of before the artifact it
             * points at; PUBLISHED waits for both, so a published build always shows its artifact
             * (and a REUSED build copies a complete one).
             */
            public BuildState reached() {
                return BuildState.PUBLISHED;
            }

            public void applyTo(BuildEntity build) {
                build.packReference = event.reference();
                if (build.artifactUri != null) {
                    build.state = build.state.advanceTo(BuildState.PUBLISHED);
                }
            }
        }
    }
}
