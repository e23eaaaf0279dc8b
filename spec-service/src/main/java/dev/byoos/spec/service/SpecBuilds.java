package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import io.smallrye.mutiny.Uni;

import dev.byoos.contract.EventTypes;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.repository.OutboxEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * The builds of a stored spec version, inside the caller's transaction: one per target for a new
 * version, and for a resubmitted one a new attempt where the last one ended without an image, or
 * a REUSED build where it published one.
 */
final class SpecBuilds {

    private SpecBuilds() {
    }

    /** Creates a new version's builds and their build requests. */
    static Uni<SpecIntake.Accepted> forNewVersion(ImageSpec spec, SpecEntity specEntity, OffsetDateTime now,
            BuildTrigger trigger) {
        List<BuildEntity> builds = new ArrayList<>();
        List<OutboxEntity> outbox = new ArrayList<>();
        for (ImageSpec.Target target : spec.spec().targets()) {
            BuildEntity build = newBuild(specEntity, target, 1, now, trigger);
            builds.add(build);
            outbox.add(OutboxRecords.buildRequested(spec, specEntity, build, now));
        }
        return specEntity.persist()
                .flatMap(ignored -> BuildEntity.persist(builds))
                .flatMap(ignored -> OutboxEntity.persist(outbox))
                .map(ignored -> new SpecIntake.Accepted(specEntity, builds, true, builds));
    }

    /**
     * A resubmitted spec version, per target: a build in progress is returned as it is; a failed or
     * cancelled one is built again as the next attempt; a published one yields a REUSED build
     * pointing at its artifact and pack, unless {@code force} asks for a new build. A version whose
     * published pack was revoked is refused ({@link PackVersionRevokedException}): never reused, and
     * a new build could not publish the same immutable pack version again.
     */
    static Uni<SpecIntake.Accepted> forResubmission(ImageSpec spec, SpecEntity existing, boolean force,
            BuildTrigger trigger) {
        OffsetDateTime now = OffsetDateTime.now(java.time.ZoneOffset.UTC);
        return BuildEntity.<BuildEntity>list("spec = ?1 order by attempt", existing).flatMap(previous ->
                revokedAmong(previous).flatMap(revoked -> resubmit(spec, existing, force, trigger, now, previous,
                        revoked)));
    }

    /** The builds whose pack version was revoked (pack.revoked in their timeline): never reused. */
    private static Uni<Set<UUID>> revokedAmong(List<BuildEntity> builds) {
        if (builds.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return BuildEventEntity.<BuildEventEntity>list("buildId in ?1 and eventType = ?2",
                builds.stream().map(build -> build.id).toList(), EventTypes.PACK_REVOKED)
                .map(events -> events.stream().map(event -> event.buildId).collect(Collectors.toSet()));
    }

    private static Uni<SpecIntake.Accepted> resubmit(ImageSpec spec, SpecEntity existing, boolean force,
            BuildTrigger trigger, OffsetDateTime now, List<BuildEntity> previous, Set<UUID> revoked) {
        Map<String, BuildEntity> latestByCloud = latestByCloud(previous);
        List<BuildEntity> builds = new ArrayList<>();
        List<BuildEntity> created = new ArrayList<>();
        List<OutboxEntity> outbox = new ArrayList<>();
        for (ImageSpec.Target target : spec.spec().targets()) {
            BuildEntity latest = latestByCloud.get(target.cloud());
            if (latest != null && !latest.state.isTerminal()) {
                builds.add(latest);
                continue;
            }
            BuildEntity next = newBuild(existing, target, latest == null ? 1 : latest.attempt + 1, now, trigger);
            BuildEntity published = latest == null ? null
                    : latest.state == BuildState.PUBLISHED ? latest
                    : latest.state == BuildState.REUSED ? reusedSource(previous, latest) : null;
            if (published != null && revoked.contains(published.id)) {
                throw new PackVersionRevokedException(existing.team, existing.name, existing.version,
                        published.packReference);
            }
            if (published != null && !force) {
                reuse(next, published);
            } else {
                outbox.add(OutboxRecords.buildRequested(spec, existing, next, now));
            }
            builds.add(next);
            created.add(next);
        }
        if (created.isEmpty()) {
            return Uni.createFrom().item(new SpecIntake.Accepted(existing, builds, false, List.of()));
        }
        return BuildEntity.persist(created)
                .flatMap(ignored -> outbox.isEmpty() ? Uni.createFrom().voidItem() : OutboxEntity.persist(outbox))
                .map(ignored -> new SpecIntake.Accepted(existing, builds, false, created));
    }

    /** Each target's latest attempt, from a spec version's builds ordered by attempt. */
    static Map<String, BuildEntity> latestByCloud(List<BuildEntity> buildsByAttempt) {
        Map<String, BuildEntity> latestByCloud = new LinkedHashMap<>();
        buildsByAttempt.forEach(build -> latestByCloud.put(build.targetCloud, build));
        return latestByCloud;
    }

    static BuildEntity newBuild(SpecEntity spec, ImageSpec.Target target, int attempt, OffsetDateTime now,
            BuildTrigger trigger) {
        BuildEntity build = new BuildEntity();
        build.id = UUID.randomUUID();
        build.spec = spec;
        build.team = spec.team;
        build.targetCloud = target.cloud();
        build.targetFormat = target.format();
        build.attempt = attempt;
        build.trigger = trigger.wire();
        build.state = BuildState.ACCEPTED;
        build.createdAt = now;
        build.updatedAt = now;
        return build;
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
}
