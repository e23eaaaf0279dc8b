package dev.byoos.pack.repository;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.pack.render.OsImageLocator.OsImage;
import dev.byoos.pack.render.UnpublishablePackException;

/**
 * The pack catalog: which team owns a pack name, which build owns each version, and the lineage
 * of every published version. Called from the publisher's worker threads, so it hands each reactive
 * transaction to a Vert.x context and waits for it there (Hibernate Reactive must not run on a
 * worker thread).
 *
 * <p>Names and versions are claimed with an insert that a unique constraint guards
 * ({@code pack_name_unique}, {@code pack_version_unique}): of two builds inserting at once the first
 * wins, and the other finds the winner's row, the one duplicate that is expected. Any other failure
 * is classified ({@link CatalogFailures}): an outage becomes {@link CatalogUnavailableException},
 * to be waited out; anything else fails the build at once.
 */
@ApplicationScoped
public class PackCatalog {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

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
     */
    public record VersionClaim(String buildId, String manifestDigest, boolean published) {
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
        String name = build.pack().name();
        return await("claiming pack name " + name, () -> Panache.withTransaction(() -> PackEntity.findByName(name)
                        .flatMap(existing -> existing != null ? Uni.createFrom().item(existing.team)
                                : newPack(build).persist().replaceWith(build.team())))
                // Another build claimed the name between our lookup and insert: theirs stands.
                .onFailure(failure -> CatalogFailures.isDuplicate(failure, "pack_name_unique"))
                .recoverWithUni(failure -> Panache.withSession(() -> PackEntity.findByName(name))
                        .onItem().ifNull().failWith(failure).map(existing -> existing.team)));
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
        await(what, () -> Panache.withTransaction(() -> PackEntity.findByName(build.pack().name())
                .flatMap(pack -> pack == null ? Uni.createFrom().item(0L) : PackVersionEntity.delete(
                        "pack = ?1 and version = ?2 and buildId = ?3 and publishedAt is null", pack,
                        build.pack().version(), build.buildId()))));
    }

    private VersionClaim write(String what, ArtifactStored artifact, OsImage osImage, String reference,
            String manifestDigest, boolean publish) {
        BuildCoordinates build = artifact.build();
        return await(what, () -> Panache.withTransaction(() -> PackEntity.findByName(build.pack().name())
                        .flatMap(existing -> existing != null ? Uni.createFrom().item(existing)
                                : newPack(build).<PackEntity>persist())
                        // Never a version under another team's pack: the publisher checked the name's claim first.
                        .invoke(pack -> {
                            if (!pack.team.equals(build.team())) {
                                throw new IllegalStateException("pack " + pack.name + " belongs to another team than "
                                        + build.team());
                            }
                        })
                        .flatMap(pack -> PackVersionEntity.find(pack, build.pack().version()).flatMap(version -> {
                            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                            if (version == null) {
                                PackVersionEntity claimed = newVersion(pack, artifact, osImage, reference, manifestDigest,
                                        now);
                                claimed.publishedAt = publish ? now : null;
                                return claimed.<PackVersionEntity>persist();
                            }
                            if (publish && version.publishedAt == null && version.buildId.equals(build.buildId())) {
                                // The registry may hold this build's pack as an earlier release rendered it.
                                version.manifestDigest = manifestDigest;
                                version.publishedAt = now;
                            }
                            return Uni.createFrom().item(version);
                        }))
                        .map(PackCatalog::claimOf))
                // Another build (or this one on another replica) inserted the version first: its claim stands.
                .onFailure(failure -> CatalogFailures.isDuplicate(failure, "pack_version_unique"))
                .recoverWithUni(failure -> Panache.withSession(() -> PackEntity.findByName(build.pack().name())
                        .flatMap(pack -> PackVersionEntity.find(pack, build.pack().version())))
                        .onItem().ifNull().failWith(failure).map(PackCatalog::claimOf)));
    }

    private static VersionClaim claimOf(PackVersionEntity version) {
        return new VersionClaim(version.buildId, version.manifestDigest, version.publishedAt != null);
    }

    /** Runs the transaction on a Vert.x context and waits for it; its failure is classified. */
    private static <T> T await(String what, Supplier<Uni<T>> transaction) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> transaction.get().ifNoItem().after(TIMEOUT).fail());
        } catch (Throwable e) {
            throw CatalogFailures.classify(what, e);
        }
    }

    private static PackEntity newPack(BuildCoordinates build) {
        PackEntity pack = new PackEntity();
        pack.id = UUID.randomUUID();
        pack.name = build.pack().name();
        pack.displayName = build.pack().displayName();
        pack.team = build.team();
        pack.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
        return pack;
    }

    private static PackVersionEntity newVersion(PackEntity pack, ArtifactStored artifact, OsImage osImage,
            String reference, String manifestDigest, OffsetDateTime claimedAt) {
        BuildCoordinates build = artifact.build();
        PackVersionEntity version = new PackVersionEntity();
        version.id = UUID.randomUUID();
        version.pack = pack;
        version.version = build.pack().version();
        version.reference = reference;
        version.manifestDigest = manifestDigest;
        version.packKind = osImage.kind().paletteName();
        version.cloudType = osImage.cloudType();
        version.osImageOverride = osImage.reference();
        version.osName = build.os().name();
        version.osVersion = build.os().version();
        version.kubernetesVersion = build.kubernetesVersion();
        version.artifactSha256 = artifact.sha256();
        version.artifactUri = artifact.uri();
        version.artifactSize = artifact.size();
        version.artifactFormat = artifact.format();
        version.signatureKeyId = artifact.signature() == null ? null : artifact.signature().keyId();
        version.sbomUri = artifact.sbom() == null ? null
                : "s3://" + artifact.sbom().bucket() + "/" + artifact.sbom().key();
        version.buildId = build.buildId();
        version.targetCloud = build.target().cloud();
        version.specTeam = build.team();
        version.specName = build.specName();
        version.specVersion = build.specVersion();
        version.specDigest = build.specDigest();
        version.claimedAt = claimedAt;
        return version;
    }
}
