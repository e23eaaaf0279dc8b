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

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotFoundException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;
import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.spec.messaging.OutboxRelay;
import dev.byoos.spec.model.ImageSpec;
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

    @Inject
    OutboxRelay outboxRelay;

    /**
     * @param spec       the stored spec version
     * @param builds     one build per target: new ones, or the existing ones of an identical spec
     * @param newVersion false when the submission was identical to the latest stored version
     */
    public record Accepted(SpecEntity spec, List<BuildEntity> builds, boolean newVersion) {
    }

    /**
     * Stores the spec. Submitting a spec identical to its latest version (same canonical digest)
     * creates no new version: its builds are returned as they are, except that a target whose
     * build failed is built again as the next attempt. This makes resubmission safe to repeat.
     */
    public Uni<Accepted> accept(ImageSpec spec) {
        String document = canonicalJson(spec);
        String digest = sha256(document);
        return Panache.withTransaction(() -> store(spec, document, digest))
                // Publish right away rather than waiting for the relay's next poll; the poll
                // still covers a crash between commit and publish.
                .invoke(accepted -> outboxRelay.relaySoon());
    }

    /**
     * {@link #accept(ImageSpec)} under an Idempotency-Key: the first submission with the key is
     * accepted and its outcome recorded in the same transaction; a repeat with the same spec gets
     * that outcome (same status, same builds) without side effects; a repeat with another spec is
     * refused.
     */
    public Uni<Accepted> accept(ImageSpec spec, String idempotencyKey) {
        String document = canonicalJson(spec);
        String digest = sha256(document);
        return Panache.withTransaction(() -> IdempotencyKeyEntity.<IdempotencyKeyEntity>findById(idempotencyKey)
                .flatMap(recorded -> {
                    if (recorded != null) {
                        return replay(recorded, digest);
                    }
                    return store(spec, document, digest).call(accepted -> record(idempotencyKey, accepted));
                }))
                .onFailure(SpecIntake::isUniqueViolation).transform(failure -> new BuildConflictException(
                        "another request with Idempotency-Key " + idempotencyKey + " is being processed"))
                .invoke(accepted -> outboxRelay.relaySoon());
    }

    /** Inside a transaction: the next version of the spec, or its latest version when identical. */
    private Uni<Accepted> store(ImageSpec spec, String document, String digest) {
        return SpecEntity.latest(spec.metadata().team(), spec.metadata().name())
                .flatMap(latest -> latest != null && latest.digest.equals(digest)
                        ? resubmit(spec, latest)
                        : checkPackAgainst(latest, spec)
                                .flatMap(ok -> persistNewVersion(spec, document, digest, latest == null ? 1 : latest.version + 1)));
    }

    /**
     * A pack is one product line in the registry: a new version of a spec keeps the pack's name and
     * display name, and must not reuse the pack version its predecessor published, because
     * published pack versions are immutable and the new image would be refused at publish time.
     */
    private static Uni<Void> checkPackAgainst(SpecEntity latest, ImageSpec spec) {
        if (latest == null) {
            return Uni.createFrom().voidItem();
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
        if (previous.version().equals(next.version())) {
            violations.add(new Violation("/spec/pack/version", Violation.PACK_CONFLICT, "pack version "
                    + next.version() + " belongs to the previous spec" + since
                    + "; published pack versions are immutable, so a changed spec needs a new pack version"));
        }
        return violations.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.createFrom().failure(new SpecRejectedException(violations));
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
                    return new Accepted(spec, List.copyOf(latestByCloud.values()), recorded.newVersion);
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
                .map(ignored -> new Accepted(specEntity, builds, true));
    }

    private Uni<Accepted> resubmit(ImageSpec spec, SpecEntity existing) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return BuildEntity.<BuildEntity>list("spec = ?1 order by attempt", existing).flatMap(previous -> {
            Map<String, BuildEntity> latestByCloud = new LinkedHashMap<>();
            previous.forEach(build -> latestByCloud.put(build.targetCloud, build));
            List<BuildEntity> builds = new ArrayList<>();
            List<BuildEntity> retries = new ArrayList<>();
            List<OutboxEntity> outbox = new ArrayList<>();
            for (ImageSpec.Target target : spec.spec().targets()) {
                BuildEntity latest = latestByCloud.get(target.cloud());
                if (latest != null && latest.state != BuildState.FAILED) {
                    builds.add(latest);
                    continue;
                }
                BuildEntity retry = newBuild(existing, target, latest == null ? 1 : latest.attempt + 1, now);
                builds.add(retry);
                retries.add(retry);
                outbox.add(buildRequest(spec, existing, retry, now));
            }
            if (retries.isEmpty()) {
                return Uni.createFrom().item(new Accepted(existing, builds, false));
            }
            return BuildEntity.persist(retries)
                    .flatMap(ignored -> OutboxEntity.persist(outbox))
                    .map(ignored -> new Accepted(existing, builds, false));
        });
    }

    /**
     * Builds a failed target again, as the next attempt of the same spec version and target.
     * Only the latest attempt of a target can be retried, and only when it failed.
     */
    public Uni<BuildEntity> retry(UUID buildId) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return Panache.withTransaction(() -> BuildEntity.<BuildEntity>find(
                "from BuildEntity b join fetch b.spec where b.id = ?1", buildId).firstResult()
                .onItem().ifNull().failWith(() -> new NotFoundException("no build " + buildId))
                .flatMap(build -> {
                    if (build.state != BuildState.FAILED) {
                        return Uni.createFrom().failure(new BuildConflictException(
                                "only a FAILED build can be retried; build " + buildId + " is " + build.state));
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
                .invoke(retry -> outboxRelay.relaySoon());
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
        ImageSpec.Target target = spec.spec().targets().stream()
                .filter(candidate -> candidate.cloud().equals(build.targetCloud)).findFirst().orElseThrow();
        ImageSpec.Pack pack = spec.spec().pack();
        // With several targets each publishes its own pack, so the pack names differ by cloud.
        String packName = spec.spec().targets().size() == 1 ? pack.name() : pack.name() + "-" + target.cloud();
        BuildCoordinates coordinates = new BuildCoordinates(
                build.id.toString(),
                specEntity.team,
                specEntity.name,
                specEntity.version,
                specEntity.digest,
                new BuildCoordinates.OperatingSystem(spec.spec().os().name(), spec.spec().os().version()),
                spec.spec().kubernetes().version(),
                new BuildCoordinates.Target(target.cloud(), target.format()),
                new BuildCoordinates.Pack(packName, pack.version(), pack.displayName()));
        ImageSpec.Customizations customizations = spec.spec().customizations();
        BuildRequested request = new BuildRequested(coordinates,
                new BuildRequested.BaseImage(spec.spec().os().base().local()),
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
                        .toList());

        OutboxEntity record = new OutboxEntity();
        record.eventId = EventIds.forStage(build.id.toString(), EventTypes.BUILD_REQUESTED);
        record.topic = Topics.BUILDS_REQUESTED;
        record.eventType = EventTypes.BUILD_REQUESTED;
        record.messageKey = build.id.toString();
        record.payload = EventJson.write(request);
        record.createdAt = now;
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
