package dev.byoos.spec.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.NotFoundException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.BuildRequested;
import dev.byoos.service.TeamScope;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;
import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.TraceContext;
import dev.byoos.spec.messaging.OutboxRelay;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.IdempotencyKeyEntity;
import dev.byoos.spec.repository.OutboxEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * Accepts a validated spec: stores it as the next immutable version, creates one build per
 * target, and writes one build request per build to the outbox, all in one transaction. Either
 * everything is stored and will be published, or nothing is.
 */
@ApplicationScoped
public class SpecIntake {

    /** Canonical JSON: sorted keys, so the digest does not depend on the submitted field order. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    /** The CloudEvent source of events spec-service records and publishes itself. */
    public static final String SOURCE = "urn:byoos:spec-service";

    @Inject
    OutboxRelay outboxRelay;

    @Inject
    BuildMetrics buildMetrics;

    /**
     * @param spec       the stored spec version
     * @param builds     one build per target: new ones, or the existing ones of an identical spec
     * @param newVersion false when the submission was identical to the latest stored version
     * @param created    the builds this request created (none for a replay or an unchanged resubmission)
     */
    public record Accepted(SpecEntity spec, List<BuildEntity> builds, boolean newVersion, List<BuildEntity> created) {
    }

    /** After the commit: count what was created and publish its outbox records right away. */
    private void afterAccepting(Accepted accepted) {
        buildMetrics.created(accepted.created());
        // Publish right away rather than waiting for the relay's next poll; the poll still covers
        // a crash between commit and publish.
        outboxRelay.relaySoon();
    }

    /**
     * Stores the spec. Submitting a spec identical to its latest version (same canonical digest)
     * creates no new version: its builds are returned as they are, except that a target whose
     * build failed is built again as the next attempt. This makes resubmission safe to repeat.
     */
    public Uni<Accepted> accept(ImageSpec spec) {
        return accept(spec, false);
    }

    /** @param force build every target again even when an identical spec's target is already published */
    public Uni<Accepted> accept(ImageSpec spec, boolean force) {
        String document = canonicalJson(spec);
        String digest = sha256(document);
        return Panache.withTransaction(() -> store(spec, document, digest, force))
                .invoke(this::afterAccepting);
    }

    /**
     * {@link #accept(ImageSpec)} under an Idempotency-Key: the first submission with the key is
     * accepted and its outcome recorded in the same transaction; a repeat with the same spec gets
     * that outcome (same status, same builds) without side effects; a repeat with another spec is
     * refused.
     */
    public Uni<Accepted> accept(ImageSpec spec, String idempotencyKey, boolean force) {
        String document = canonicalJson(spec);
        String digest = sha256(document);
        return Panache.withTransaction(() -> IdempotencyKeyEntity.<IdempotencyKeyEntity>findById(idempotencyKey)
                .flatMap(recorded -> {
                    if (recorded != null) {
                        return replay(recorded, digest);
                    }
                    return store(spec, document, digest, force).call(accepted -> record(idempotencyKey, accepted));
                }))
                .onFailure(SpecIntake::isUniqueViolation).transform(failure -> new BuildConflictException(
                        "another request with Idempotency-Key " + idempotencyKey + " is being processed"))
                .invoke(this::afterAccepting);
    }

    /**
     * Inside a transaction: an identical spec (same canonical digest as any stored version) is a
     * resubmission of that version; anything else becomes the next version, once the pack rules
     * hold.
     */
    private Uni<Accepted> store(ImageSpec spec, String document, String digest, boolean force) {
        return SpecEntity.relatedVersions(spec.metadata().team(), spec.metadata().name(), digest,
                spec.spec().pack().version()).flatMap(related -> {
                    SpecEntity identical = related.stream().filter(v -> v.digest.equals(digest)).findFirst().orElse(null);
                    if (identical != null) {
                        return resubmit(spec, identical, force);
                    }
                    SpecEntity latest = related.stream().max(java.util.Comparator.comparingInt(v -> v.version)).orElse(null);
                    SpecEntity packVersionOwner = related.stream()
                            .filter(v -> v.packVersion.equals(spec.spec().pack().version())).findFirst().orElse(null);
                    checkPackAgainst(latest, packVersionOwner, spec);
                    return persistNewVersion(spec, document, digest, latest == null ? 1 : latest.version + 1);
                });
    }

    /**
     * A pack is one product line in the registry: a new version of a spec keeps the pack's name and
     * display name, and must not reuse a pack version an earlier version published, because
     * published pack versions are immutable and the new image would be refused at publish time.
     *
     * @param packVersionOwner the stored version that already has this pack version, or null
     */
    private static void checkPackAgainst(SpecEntity latest, SpecEntity packVersionOwner, ImageSpec spec) {
        if (latest == null) {
            return;
        }
        ImageSpec.Pack previous = storedSpec(latest).spec().pack();
        ImageSpec.Pack next = spec.spec().pack();
        List<Violation> violations = new ArrayList<>();
        String since = " (version " + latest.version + " of spec " + latest.name + ")";
        if (!previous.name().equals(next.name())) {
            violations.add(new Violation("/spec/pack/name", Violation.PACK_CONFLICT, "the pack is named '"
                    + previous.name() + "'" + since + "; a pack keeps its name across versions, use a new spec name "
                    + "for a new pack"));
        }
        if (!previous.displayName().equals(next.displayName())) {
            violations.add(new Violation("/spec/pack/displayName", Violation.PACK_CONFLICT, "the pack is displayed as '"
                    + previous.displayName() + "'" + since + "; a pack keeps its display name across versions"));
        }
        if (packVersionOwner != null) {
            violations.add(new Violation("/spec/pack/version", Violation.PACK_CONFLICT, "pack version "
                    + next.version() + " belongs to version " + packVersionOwner.version + " of spec "
                    + packVersionOwner.name
                    + "; published pack versions are immutable, so a changed spec needs a new pack version"));
        }
        if (!violations.isEmpty()) {
            throw new SpecRejectedException(violations);
        }
    }

    private static Uni<IdempotencyKeyEntity> record(String key, Accepted accepted) {
        IdempotencyKeyEntity record = new IdempotencyKeyEntity();
        record.key = key;
        record.specId = accepted.spec().id;
        record.specDigest = accepted.spec().digest;
        record.newVersion = accepted.newVersion();
        record.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return record.persist();
    }

    private static Uni<Accepted> replay(IdempotencyKeyEntity recorded, String digest) {
        if (!recorded.specDigest.equals(digest)) {
            return Uni.createFrom().failure(new IdempotencyKeyReusedException("Idempotency-Key " + recorded.key
                    + " was used for a different spec (digest " + recorded.specDigest + "); use a new key"));
        }
        return SpecEntity.<SpecEntity>findById(recorded.specId).flatMap(spec -> BuildEntity
                .<BuildEntity>list("spec = ?1 order by attempt", spec)
                .map(builds -> {
                    Map<String, BuildEntity> latestByCloud = new LinkedHashMap<>();
                    builds.forEach(build -> latestByCloud.put(build.targetCloud, build));
                    return new Accepted(spec, List.copyOf(latestByCloud.values()), recorded.newVersion, List.of());
                }));
    }

    private Uni<Accepted> persistNewVersion(ImageSpec spec, String document, String digest, int version) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        SpecEntity specEntity = new SpecEntity();
        specEntity.id = UUID.randomUUID();
        specEntity.team = spec.metadata().team();
        specEntity.name = spec.metadata().name();
        specEntity.version = version;
        specEntity.digest = digest;
        specEntity.document = document;
        specEntity.packVersion = spec.spec().pack().version();
        specEntity.createdAt = now;

        List<BuildEntity> builds = new ArrayList<>();
        List<OutboxEntity> outbox = new ArrayList<>();
        for (ImageSpec.Target target : spec.spec().targets()) {
            BuildEntity build = newBuild(specEntity, target, 1, now);
            builds.add(build);
            outbox.add(buildRequest(spec, specEntity, build, now));
        }
        return specEntity.persist()
                .flatMap(ignored -> BuildEntity.persist(builds))
                .flatMap(ignored -> OutboxEntity.persist(outbox))
                .map(ignored -> new Accepted(specEntity, builds, true, builds));
    }

    /**
     * A resubmitted spec version, per target: a build in progress is returned as it is; a failed or
     * cancelled one is built again as the next attempt; a published one yields a REUSED build
     * pointing at its artifact and pack, unless {@code force} asks for a new build.
     */
    private Uni<Accepted> resubmit(ImageSpec spec, SpecEntity existing, boolean force) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return BuildEntity.<BuildEntity>list("spec = ?1 order by attempt", existing).flatMap(previous -> {
            Map<String, BuildEntity> latestByCloud = new LinkedHashMap<>();
            previous.forEach(build -> latestByCloud.put(build.targetCloud, build));
            List<BuildEntity> builds = new ArrayList<>();
            List<BuildEntity> created = new ArrayList<>();
            List<OutboxEntity> outbox = new ArrayList<>();
            for (ImageSpec.Target target : spec.spec().targets()) {
                BuildEntity latest = latestByCloud.get(target.cloud());
                if (latest != null && !latest.state.isTerminal()) {
                    builds.add(latest);
                    continue;
                }
                BuildEntity next = newBuild(existing, target, latest == null ? 1 : latest.attempt + 1, now);
                BuildEntity published = latest == null ? null
                        : latest.state == BuildState.PUBLISHED ? latest
                        : latest.state == BuildState.REUSED ? reusedSource(previous, latest) : null;
                if (published != null && !force) {
                    reuse(next, published);
                } else {
                    outbox.add(buildRequest(spec, existing, next, now));
                }
                builds.add(next);
                created.add(next);
            }
            if (created.isEmpty()) {
                return Uni.createFrom().item(new Accepted(existing, builds, false, List.of()));
            }
            return BuildEntity.persist(created)
                    .flatMap(ignored -> outbox.isEmpty() ? Uni.createFrom().voidItem() : OutboxEntity.persist(outbox))
                    .map(ignored -> new Accepted(existing, builds, false, created));
        });
    }

    /** The published build a REUSED build points at (REUSED builds always point at a published one). */
    private static BuildEntity reusedSource(List<BuildEntity> builds, BuildEntity reused) {
        return builds.stream().filter(build -> build.id.equals(reused.reusedFrom)).findFirst().orElse(null);
    }

    private static void reuse(BuildEntity build, BuildEntity published) {
        build.state = BuildState.REUSED;
        build.reusedFrom = published.id;
        build.artifactUri = published.artifactUri;
        build.artifactSha256 = published.artifactSha256;
        build.artifactSize = published.artifactSize;
        build.packReference = published.packReference;
    }

    /**
     * Builds a failed target again, as the next attempt of the same spec version and target.
     * Only the latest attempt of a target can be retried, and only when it failed.
     */
    public Uni<BuildEntity> retry(UUID buildId, TeamScope scope) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return Panache.withTransaction(() -> visibleBuild(buildId, scope)
                .flatMap(build -> {
                    if (!build.state.canBeBuiltAgain()) {
                        return Uni.createFrom().failure(new BuildConflictException(
                                "only a FAILED or CANCELLED build can be retried; build " + buildId + " is " + build.state));
                    }
                    return BuildEntity.<BuildEntity>find("spec = ?1 and targetCloud = ?2 order by attempt desc",
                            build.spec, build.targetCloud).firstResult()
                            .flatMap(latest -> {
                                if (!latest.id.equals(build.id)) {
                                    return Uni.createFrom().failure(new BuildConflictException("build " + buildId
                                            + " was already retried as attempt " + latest.attempt + ": /api/v1/builds/"
                                            + latest.id));
                                }
                                ImageSpec spec = storedSpec(build.spec);
                                ImageSpec.Target target = spec.spec().targets().stream()
                                        .filter(candidate -> candidate.cloud().equals(build.targetCloud))
                                        .findFirst().orElseThrow();
                                BuildEntity retry = newBuild(build.spec, target, build.attempt + 1, now);
                                return retry.<BuildEntity>persist()
                                        .flatMap(ignored -> buildRequest(spec, build.spec, retry, now).persist())
                                        .replaceWith(retry);
                            });
                }))
                // Two concurrent retries of one build: the unique (spec, target, attempt) lets one win.
                .onFailure(SpecIntake::isUniqueViolation).transform(failure -> new BuildConflictException(
                        "build " + buildId + " is being retried by another request"))
                .invoke(retry -> {
                    buildMetrics.created(List.of(retry));
                    outboxRelay.relaySoon();
                });
    }

    /**
     * Builds the latest version of a stored spec again, exactly as if it had been resubmitted:
     * targets in progress are left alone, published ones are REUSED unless {@code force}.
     *
     * @param idempotencyKey null, or a key under which a repeat of this request changes nothing
     */
    public Uni<Accepted> rebuild(String team, String name, boolean force, String idempotencyKey) {
        return Panache.withSession(() -> SpecEntity.latest(team, name))
                .onItem().ifNull().failWith(() -> new NotFoundException("team " + team + " has no spec " + name))
                .flatMap(latest -> {
                    ImageSpec spec = storedSpec(latest);
                    return idempotencyKey == null ? accept(spec, force) : accept(spec, idempotencyKey, force);
                });
    }

    /**
     * Cancels an unfinished build: CANCELLED in the read model, and a {@code build.cancelled} event
     * through the outbox (same transaction) that tells every worker to stop or skip it. Events the
     * pipeline sends later for this build are recorded in its timeline but cannot revive it.
     */
    public Uni<BuildEntity> cancel(UUID buildId, TeamScope scope, String requestedBy) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        AtomicReference<BuildState> before = new AtomicReference<>();
        return Panache.withTransaction(() -> visibleBuild(buildId, scope).flatMap(build -> {
            before.set(build.state);
            if (build.state.isTerminal()) {
                return Uni.createFrom().failure(new BuildConflictException("build " + buildId + " is " + build.state
                        + "; only unfinished builds can be cancelled"));
            }
            build.state = BuildState.CANCELLED;
            build.forgetProgressOfPastStages();
            build.cancelledBy = requestedBy;
            build.updatedAt = now;
            ImageSpec spec = storedSpec(build.spec);
            BuildCancelled event = new BuildCancelled(coordinates(spec, build.spec, build), requestedBy);
            return BuildEventEntity.recordFirstDelivery(EventIds.forStage(buildId.toString(), EventTypes.BUILD_CANCELLED),
                    buildId, EventTypes.BUILD_CANCELLED, SOURCE, now, "cancelled by " + requestedBy)
                    .flatMap(ignored -> outboxRecord(buildId, EventTypes.BUILD_CANCELLED, Topics.BUILDS_CANCELLED,
                            EventJson.write(event), now).persist())
                    .replaceWith(build);
        })).invoke(cancelled -> {
            buildMetrics.transitioned(BuildMetrics.BuildTransition.of(cancelled, before.get()));
            outboxRelay.relaySoon();
        });
    }

    /**
     * A build with its spec, locked for the rest of the transaction, or 404 when it does not exist or
     * belongs to a team outside the scope. Locked because retry and cancel decide on its state while
     * the event consumers may be changing it: unlocked, a cancel could overwrite a state published
     * in between, or keep a progress report recorded in between.
     */
    private static Uni<BuildEntity> visibleBuild(UUID buildId, TeamScope scope) {
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where b.id = ?1", buildId)
                .withLock(LockModeType.PESSIMISTIC_WRITE)
                .firstResult()
                .map(build -> build != null && scope.includes(build.team) ? build : null)
                .onItem().ifNull().failWith(() -> new NotFoundException("no build " + buildId));
    }

    private static ImageSpec storedSpec(SpecEntity spec) {
        try {
            return CANONICAL.readValue(spec.document, ImageSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored spec " + spec.id + " cannot be read back", e);
        }
    }

    private static boolean isUniqueViolation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.hibernate.exception.ConstraintViolationException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    private static BuildEntity newBuild(SpecEntity spec, ImageSpec.Target target, int attempt, OffsetDateTime now) {
        BuildEntity build = new BuildEntity();
        build.id = UUID.randomUUID();
        build.spec = spec;
        build.team = spec.team;
        build.targetCloud = target.cloud();
        build.targetFormat = target.format();
        build.attempt = attempt;
        build.state = BuildState.ACCEPTED;
        build.createdAt = now;
        build.updatedAt = now;
        return build;
    }

    private static OutboxEntity buildRequest(ImageSpec spec, SpecEntity specEntity, BuildEntity build,
            OffsetDateTime now) {
        ImageSpec.Customizations customizations = spec.spec().customizations();
        // One target per cloud (the validator makes sure), so the build's cloud names its target.
        ImageSpec.Target target = spec.spec().targets().stream()
                .filter(candidate -> candidate.cloud().equals(build.targetCloud))
                .findFirst().orElseThrow();
        BuildRequested request = new BuildRequested(coordinates(spec, specEntity, build),
                baseImage(spec.spec().os().base()),
                customizations.files().stream()
                        .map(file -> new BuildRequested.FileCustomization(file.path(), file.content(), file.mode(),
                                file.owner()))
                        .toList(),
                spec.spec().imageType(),
                customizations.packages(),
                customizations.users().stream()
                        .map(user -> new BuildRequested.User(user.name(), user.groups(), user.sshAuthorizedKeys()))
                        .toList(),
                customizations.sysctl(),
                customizations.kernelModules(),
                customizations.caCertificates().stream()
                        .map(certificate -> new BuildRequested.CaCertificate(certificate.name(), certificate.pem()))
                        .toList(),
                customizations.scripts().stream()
                        .map(script -> new BuildRequested.Script(script.name(), script.stage(), script.content(),
                                script.timeoutSeconds()))
                        .toList(),
                target.builder(),
                cloudParameters(target),
                kubernetes(spec.spec().kubernetes()));
        return outboxRecord(build.id, EventTypes.BUILD_REQUESTED, Topics.BUILDS_REQUESTED, EventJson.write(request), now);
    }

    /** What a builder that builds inside the cloud needs to know of the target's cloud parameters. */
    private static BuildRequested.CloudParameters cloudParameters(ImageSpec.Target target) {
        return new BuildRequested.CloudParameters(
                target.aws() == null ? null : target.aws().regions(),
                target.azure() == null ? null : target.azure().storageLocation(),
                target.vsphere() == null ? null : target.vsphere().folder(),
                target.vsphere() == null ? null : target.vsphere().templateName());
    }

    /** The validator has filled in every component version the spec left out from the support matrix. */
    private static BuildRequested.Kubernetes kubernetes(ImageSpec.Kubernetes kubernetes) {
        return new BuildRequested.Kubernetes(kubernetes.version(), kubernetes.containerd(), kubernetes.cni(),
                kubernetes.crictl());
    }

    /** Only buildable base kinds reach here (the validator refuses the others). */
    private static BuildRequested.BaseImage baseImage(ImageSpec.Base base) {
        return switch (base.kind()) {
            case "local" -> new BuildRequested.BaseImage(base.local());
            case "debootstrap" -> new BuildRequested.BaseImage(null,
                    new BuildRequested.Debootstrap(base.debootstrap().suite(), base.debootstrap().mirror()));
            case "tarball" -> BuildRequested.BaseImage.of(
                    new BuildRequested.Tarball(base.tarball().url(), base.tarball().sha256()));
            default -> throw new IllegalStateException(base.kind() + " bases are not buildable; the validator refuses them");
        };
    }

    private static BuildCoordinates coordinates(ImageSpec spec, SpecEntity specEntity, BuildEntity build) {
        ImageSpec.Pack pack = spec.spec().pack();
        // With several targets each publishes its own pack, so the pack names differ by cloud.
        String packName = spec.spec().targets().size() == 1 ? pack.name() : pack.name() + "-" + build.targetCloud;
        return new BuildCoordinates(
                build.id.toString(),
                specEntity.team,
                specEntity.name,
                specEntity.version,
                specEntity.digest,
                new BuildCoordinates.OperatingSystem(spec.spec().os().name(), spec.spec().os().version()),
                spec.spec().kubernetes().version(),
                new BuildCoordinates.Target(build.targetCloud, build.targetFormat),
                new BuildCoordinates.Pack(packName, pack.version(), pack.displayName()));
    }

    private static OutboxEntity outboxRecord(UUID buildId, String eventType, String topic, String payload,
            OffsetDateTime now) {
        OutboxEntity record = new OutboxEntity();
        record.eventId = EventIds.forStage(buildId.toString(), eventType);
        record.topic = topic;
        record.eventType = eventType;
        record.messageKey = buildId.toString();
        record.payload = payload;
        record.createdAt = now;
        record.traceParent = TraceContext.currentTraceparent();
        return record;
    }

    public static String canonicalJson(ImageSpec spec) {
        try {
            return CANONICAL.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a validated spec", e);
        }
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
