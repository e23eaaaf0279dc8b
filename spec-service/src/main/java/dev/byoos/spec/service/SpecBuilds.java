package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;

import dev.byoos.spec.BuildState;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
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
    static Uni<SpecIntake.Accepted> forNewVersion(SqlConnection connection, ImageSpec spec, SpecEntity specEntity,
            OffsetDateTime now, BuildTrigger trigger, String idempotencyKey) {
        List<BuildEntity> builds = new ArrayList<>();
        List<OutboxEntity> outbox = new ArrayList<>();
        for (ImageSpec.Target target : spec.spec().targets()) {
            BuildEntity build = newBuild(specEntity, target, 1, now, trigger);
            builds.add(build);
            outbox.add(OutboxRecords.buildRequested(spec, specEntity, build, now));
        }
        return IntakeRows.write(connection, specEntity, true, builds, outbox, idempotencyKey, now)
                .map(ignored -> new SpecIntake.Accepted(specEntity, builds, true, builds));
    }

    /**
     * A resubmitted spec version, per target: a build in progress is returned as it is; a failed or
     * cancelled one is built again as the next attempt; a published one yields a REUSED build
     * pointing at its artifact and pack, unless {@code force} asks for a new build. A version whose
     * published pack was revoked is refused ({@link PackVersionRevokedException}): never reused, and
     * a new build could not publish the same immutable pack version again.
     */
    static Uni<SpecIntake.Accepted> forResubmission(SqlConnection connection, ImageSpec spec, SpecEntity existing,
            boolean force, BuildTrigger trigger, String idempotencyKey) {
        OffsetDateTime now = OffsetDateTime.now(java.time.ZoneOffset.UTC);
        return IntakeRows.builds(connection, existing).flatMap(previous -> resubmit(connection, spec, existing, force,
                trigger, idempotencyKey, now, previous.byAttempt(), previous.revoked()));
    }

    private static Uni<SpecIntake.Accepted> resubmit(SqlConnection connection, ImageSpec spec, SpecEntity existing,
            boolean force, BuildTrigger trigger, String idempotencyKey, OffsetDateTime now, List<BuildEntity> previous,
            Set<UUID> revoked) {
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
        SpecIntake.Accepted accepted = new SpecIntake.Accepted(existing, builds, false, created);
        if (created.isEmpty() && idempotencyKey == null) {
            return Uni.createFrom().item(accepted);
        }
        return IntakeRows.write(connection, existing, false, created, outbox, idempotencyKey, now).replaceWith(accepted);
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
