package dev.byoos.pack.repository;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.pack.render.OsImageLocator.OsImage;

/**
 * Records each published pack version with its lineage. Called from the publisher's worker
 * threads, so it hands the reactive transaction to a Vert.x context and waits for it there
 * (Hibernate Reactive must not run on a worker thread). Idempotent: a version already recorded
 * is left as it is, which is what a redelivered event must find.
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
     * Claims the build's pack name for its team unless a team holds it already: the first team to
     * publish a name owns it and its repositories. Called before anything is pushed.
     *
     * @return the team that owns the name now (the build's own when it was free)
     * @throws CatalogUnavailableException when the database does not answer
     */
    public String claim(BuildCoordinates build) {
        String name = build.pack().name();
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> PackEntity.findByName(name)
                            .flatMap(existing -> existing != null ? Uni.createFrom().item(existing.team)
                                    : newPack(build).persist().replaceWith(build.team())))
                    // Another build claimed the name between our lookup and insert (pack_name_unique): theirs stands.
                    .onFailure().recoverWithUni(failure -> Panache.withSession(() -> PackEntity.findByName(name))
                            .onItem().ifNull().failWith(failure).map(existing -> existing.team))
                    .ifNoItem().after(TIMEOUT).fail());
        } catch (Throwable e) {
            throw new CatalogUnavailableException("claiming pack name " + name + " in the pack catalog failed: " + e, e);
        }
    }

    /**
     * @throws CatalogUnavailableException when the database does not answer or refuses the write
     */
    public void record(ArtifactStored artifact, OsImage osImage, String reference, String manifestDigest) {
        try {
            VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> write(artifact, osImage,
                    reference, manifestDigest)).ifNoItem().after(TIMEOUT).fail());
        } catch (Throwable e) {
            throw new CatalogUnavailableException("recording " + reference + " in the pack catalog failed: " + e, e);
        }
    }

    private static Uni<Void> write(ArtifactStored artifact, OsImage osImage, String reference, String manifestDigest) {
        BuildCoordinates build = artifact.build();
        return PackEntity.findByName(build.pack().name())
                .flatMap(existing -> existing != null ? Uni.createFrom().item(existing)
                        : newPack(build).<PackEntity>persist())
                // Never a version under another team's pack: the publisher checked the claim before pushing.
                .invoke(pack -> {
                    if (!pack.team.equals(build.team())) {
                        throw new IllegalStateException("pack " + pack.name + " belongs to another team than "
                                + build.team());
                    }
                })
                .flatMap(pack -> PackVersionEntity.find(pack, build.pack().version())
                        .flatMap(version -> version != null ? Uni.createFrom().voidItem()
                                : newVersion(pack, artifact, osImage, reference, manifestDigest).persist()
                                        .replaceWithVoid()));
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
            String reference, String manifestDigest) {
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
        version.publishedAt = OffsetDateTime.now(ZoneOffset.UTC);
        return version;
    }
}
