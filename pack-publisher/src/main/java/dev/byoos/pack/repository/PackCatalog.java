package dev.byoos.pack.repository;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.pack.render.OsImageLocator.OsImage;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * The pack catalog: which team owns a pack name, which build owns each version, and the lineage
 * of every published version. Called from the publisher's worker threads, which wait for each
 * statement.
 *
 * <p>Plain SQL on the reactive pool, not Hibernate: every published build claims its name, claims
 * its version and records it published, and each of those is one statement here (an autocommitted
 * insert whose conflict clause settles a race), where an entity session took a transaction, lookups
 * and a flush for each. A name's owner never changes once claimed (no statement updates or deletes
 * a {@code pack} row), so the owners already seen are remembered and a team's next build of the
 * name asks the database nothing for it.
 *
 * <p>Names and versions are claimed with an insert that a unique constraint guards
 * ({@code pack_name_unique}, {@code pack_version_unique}): of two builds inserting at once the first
 * wins, and the other gets the winner's row back. Any failure is classified ({@link CatalogFailures}):
 * an outage becomes {@link CatalogUnavailableException}, to be waited out; anything else fails the
 * build at once.
 */
@ApplicationScoped
public class PackCatalog {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Pack names whose owner is remembered; beyond it the least recently used is asked for again. */
    private static final int REMEMBERED_OWNERS = 4096;

    /**
     * The name's row as it stands: the new one, or the one already there. A conflict with a row
     * committed after this statement's snapshot returns nothing; asked again, the row is visible.
     */
    private static final String CLAIM_NAME = "with claimed as (insert into pack (id, name, display_name, team, "
            + "created_at) values ($1, $2, $3, $4, $5) on conflict (name) do nothing returning id, team) "
            + "select id, team from claimed union all select id, team from pack where name = $2";
    /** When a version written again takes the new manifest and publication time: its own build's claim, published now. */
    private static final String OWN_CLAIM = "(excluded.published_at is not null and pack_version.published_at is null "
            + "and pack_version.build_id = excluded.build_id)";
    /**
     * Claims the version, or (with a published_at) claims and publishes it; a version held already is
     * returned as it stands, except that its own build's claim is marked published with the manifest
     * the registry holds (which may be this build's pack as an earlier release rendered it). The
     * conflict's update locks the row and returns it: one row always, whoever inserted it.
     */
    private static final String WRITE_VERSION = "insert into pack_version (id, pack_id, version, reference, "
            + "manifest_digest, pack_kind, cloud_type, os_image_override, os_name, os_version, kubernetes_version, "
            + "artifact_sha256, artifact_uri, artifact_size, artifact_format, signature_key_id, sbom_uri, build_id, "
            + "target_cloud, spec_team, spec_name, spec_version, spec_digest, claimed_at, published_at) values ($1, $2, "
            + "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
            + "$25) on conflict (pack_id, version) do update set "
            + "manifest_digest = case when " + OWN_CLAIM + " then excluded.manifest_digest "
            + "else pack_version.manifest_digest end, "
            + "published_at = case when " + OWN_CLAIM + " then excluded.published_at "
            + "else pack_version.published_at end "
            + "returning build_id, manifest_digest, published_at is not null as published, "
            + "revoked_at is not null as revoked";
    private static final String RELEASE = "delete from pack_version v using pack p where v.pack_id = p.id "
            + "and p.name = $1 and v.version = $2 and v.build_id = $3 and v.published_at is null";

    /** Who owns a pack name, and the name's row (its versions point at it). */
    private record Owner(UUID packId, String team) {
    }

    private final Pool pool;
    private final Map<String, Owner> owners = Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Owner> eldest) {
                    return size() > REMEMBERED_OWNERS;
                }
            });

    public PackCatalog(Pool pool) {
        this.pool = pool;
    }

    /** The catalog's database cannot be written right now; waiting for the {@value #DEPENDENCY} can change that. */
    public static class CatalogUnavailableException extends DependencyUnavailableException {

        /** What a build waits for meanwhile ({@code build.progress} waitingFor). */
        public static final String DEPENDENCY = "database";

        public CatalogUnavailableException(String message, Throwable cause) {
            super(DEPENDENCY, message, cause);
        }
    }

    /**
     * Who holds a pack version.
     *
     * @param buildId        the build that claimed it first
     * @param manifestDigest the manifest that build pushes (or, once published, pushed)
     * @param published      whether the registry holds it (false: claimed, not pushed yet)
     * @param revoked        whether an admin revoked it: it must not be pushed or tagged again
     */
    public record VersionClaim(String buildId, String manifestDigest, boolean published, boolean revoked) {
    }

    /**
     * Claims the build's pack name for its team unless a team holds it already: the first team to
     * publish a name owns it and its repositories. Called before anything is pushed.
     *
     * @return the team that owns the name now (the build's own when it was free)
     * @throws CatalogUnavailableException while the database cannot be used
     * @throws UnpublishablePackException  when the database refuses the claim for good
     */
    public String claim(BuildCoordinates build) {
        return owner(build).team();
    }

    /**
     * Claims the build's pack version before anything is pushed, with the whole row it will have
     * once published (so a value the database refuses fails the build before the push, not after).
     * A version that is claimed already is left as it is.
     *
     * @return who holds the version now: this build when it was free (or this build's already)
     * @throws CatalogUnavailableException while the database cannot be used
     * @throws UnpublishablePackException  when the database refuses the claim for good
     */
    public VersionClaim claimVersion(ArtifactStored artifact, OsImage osImage, String reference, String manifestDigest) {
        return write("claiming " + reference, artifact, osImage, reference, manifestDigest, false);
    }

    /**
     * Marks the build's claimed version published with the manifest the registry holds; claims and
     * publishes it at once if the claim is gone. Idempotent: a published version is left as it is.
     *
     * @return who holds the version: another build's claim is never taken over
     * @throws CatalogUnavailableException while the database cannot be used
     * @throws UnpublishablePackException  when the database refuses the record for good
     */
    public VersionClaim published(ArtifactStored artifact, OsImage osImage, String reference, String manifestDigest) {
        return write("recording " + reference, artifact, osImage, reference, manifestDigest, true);
    }

    /**
     * Gives up the build's claim on its version when the build fails before publishing it, so a
     * later build of the version is not refused for a pack that was never pushed.
     *
     * @throws CatalogUnavailableException while the database cannot be used
     */
    public void release(BuildCoordinates build) {
        String what = "releasing " + build.pack().name() + ":" + build.pack().version();
        await(what, () -> pool.preparedQuery(RELEASE)
                .execute(Tuple.of(build.pack().name(), build.pack().version(), build.buildId())));
    }

    /** The name's owner, remembered or claimed for the build's team when the name is free. */
    private Owner owner(BuildCoordinates build) {
        String name = build.pack().name();
        Owner known = owners.get(name);
        if (known != null) {
            return known;
        }
        Tuple values = Tuple.of(UUID.randomUUID(), name, build.pack().displayName(), build.team(),
                OffsetDateTime.now(ZoneOffset.UTC));
        String what = "claiming pack name " + name;
        // Asked twice at most: a second statement sees the row a racing claim committed meanwhile.
        Owner owner = ownerIn(await(what, () -> pool.preparedQuery(CLAIM_NAME).execute(values)));
        if (owner == null) {
            owner = ownerIn(await(what, () -> pool.preparedQuery(CLAIM_NAME).execute(values)));
        }
        if (owner == null) {
            throw CatalogFailures.classify(what, new IllegalStateException("pack " + name
                    + " was neither inserted nor found"));
        }
        owners.put(name, owner);
        return owner;
    }

    private static Owner ownerIn(RowSet<Row> rows) {
        if (!rows.iterator().hasNext()) {
            return null;
        }
        Row row = rows.iterator().next();
        return new Owner(row.getUUID("id"), row.getString("team"));
    }

    private VersionClaim write(String what, ArtifactStored artifact, OsImage osImage, String reference,
            String manifestDigest, boolean publish) {
        BuildCoordinates build = artifact.build();
        Owner owner = owner(build);
        // Never a version under another team's pack: the publisher checked the name's claim first.
        if (!owner.team().equals(build.team())) {
            throw CatalogFailures.classify(what, new IllegalStateException("pack " + build.pack().name()
                    + " belongs to another team than " + build.team()));
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        Tuple values = versionRow(owner.packId(), artifact, osImage, reference, manifestDigest, now,
                publish ? now : null);
        Row row = await(what, () -> pool.preparedQuery(WRITE_VERSION).execute(values)).iterator().next();
        return new VersionClaim(row.getString("build_id"), row.getString("manifest_digest"),
                row.getBoolean("published"), row.getBoolean("revoked"));
    }

    /** Runs the statement and waits for it; its failure is classified. */
    private static <T> T await(String what, Supplier<Uni<T>> statement) {
        try {
            return statement.get().await().atMost(TIMEOUT);
        } catch (Throwable e) {
            throw CatalogFailures.classify(what, e);
        }
    }

    private static Tuple versionRow(UUID packId, ArtifactStored artifact, OsImage osImage, String reference,
            String manifestDigest, OffsetDateTime claimedAt, OffsetDateTime publishedAt) {
        BuildCoordinates build = artifact.build();
        return Tuple.from(Arrays.asList(UUID.randomUUID(), packId, build.pack().version(), reference,
                manifestDigest, osImage.kind().paletteName(), osImage.cloudType(), osImage.reference(),
                build.os().name(), build.os().version(), build.kubernetesVersion(), artifact.sha256(), artifact.uri(),
                artifact.size(), artifact.format(),
                artifact.signature() == null ? null : artifact.signature().keyId(),
                artifact.sbom() == null ? null : "s3://" + artifact.sbom().bucket() + "/" + artifact.sbom().key(),
                build.buildId(), build.target().cloud(), build.team(), build.specName(), build.specVersion(),
                build.specDigest(), claimedAt, publishedAt));
    }
}
