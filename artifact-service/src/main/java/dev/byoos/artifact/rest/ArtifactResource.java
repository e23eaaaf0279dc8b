package dev.byoos.artifact.rest;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.config.DownloadConfig;
import dev.byoos.artifact.repository.ArtifactEntity;
import dev.byoos.artifact.signing.ArtifactSigner;
import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.service.Caller;
import dev.byoos.service.TeamScope;

/**
 * Stored artifacts, scoped to the caller's teams: another team's artifact looks absent (404),
 * even when both teams built byte-identical images. Bytes never pass through this API: downloads
 * are presigned S3 URLs.
 */
@Path(ArtifactResource.PATH)
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class ArtifactResource {

    static final String PATH = "/api/v1/artifacts";
    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 200;

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final Caller caller;
    private final ArtifactStore store;
    private final ArtifactSigner signer;
    /** Bounds the expiry of presigned URLs: anyone holding one can read the artifact. */
    private final DownloadConfig downloads;
    private final Vertx vertx;

    public ArtifactResource(Caller caller, ArtifactStore store, ArtifactSigner signer, DownloadConfig downloads,
            Vertx vertx) {
        this.caller = caller;
        this.store = store;
        this.signer = signer;
        this.downloads = downloads;
        this.vertx = vertx;
    }

    /** One page of a search, with the total to page through it. */
    public record Results(List<ArtifactView> items, int page, int size, long total) {
    }

    /** Every build, visible to the caller, that produced the image with this digest. */
    public record ByDigest(String sha256, long size, String format, String uri, List<ArtifactView> builds) {
    }

    /** @param url a GET on it downloads the image, without credentials, until {@code expiresAt} */
    public record Download(String sha256, long size, String url, OffsetDateTime expiresAt) {
    }

    /**
     * The outcome of re-reading a stored image.
     *
     * @param recomputedSha256 the digest of the bytes in S3 now
     * @param signatureValid   whether the recorded signature verifies over the recomputed digest
     * @param verified         both: the bytes are the ones that were stored and signed
     */
    public record Verification(String sha256, String recomputedSha256, long size, long storedSize,
            boolean signatureValid, String keyId, boolean verified, String detail) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Artifacts, newest first, filtered by team, spec, build and format; paged")
    public Uni<Results> search(@QueryParam("team") String team, @QueryParam("spec") String spec,
            @QueryParam("build") String build, @QueryParam("format") String format,
            @QueryParam("page") Integer page, @QueryParam("size") Integer size) {
        Page paging = page(page, size);
        Parameters parameters = new Parameters();
        StringBuilder where = new StringBuilder(teamCondition(caller.scope(), team, parameters));
        if (spec != null && !spec.isBlank()) {
            where.append(" and specName = :spec");
            parameters.and("spec", spec.trim());
        }
        if (build != null && !build.isBlank()) {
            where.append(" and buildId = :build");
            parameters.and("build", buildId(build));
        }
        if (format != null && !format.isBlank()) {
            where.append(" and format = :format");
            parameters.and("format", format.trim());
        }
        return ArtifactEntity.<ArtifactEntity>find(where + " order by createdAt desc, id", parameters).page(paging).list()
                .flatMap(rows -> ArtifactEntity.count(where.toString(), parameters)
                        .map(total -> new Results(rows.stream().map(ArtifactView::of).toList(), paging.index,
                                paging.size, total)));
    }

    @GET
    @Path("/{sha256}")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "The image with this sha256: every build of the caller's teams that produced it")
    public Uni<ByDigest> byDigest(@PathParam("sha256") String sha256) {
        return visible(sha256).map(records -> {
            ArtifactEntity newest = records.get(0);
            return new ByDigest(newest.sha256, newest.size, newest.format, newest.uri(),
                    records.stream().map(ArtifactView::of).toList());
        });
    }

    @GET
    @Path("/{sha256}/download")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "A presigned URL that downloads the image until it expires (ISO-8601 ?expiry=, bounded)")
    public Uni<Download> download(@PathParam("sha256") String sha256, @QueryParam("expiry") String expiry) {
        Duration lifetime = expiry(expiry);
        return visible(sha256).flatMap(records -> {
            ArtifactEntity artifact = records.get(0);
            OffsetDateTime expiresAt = OffsetDateTime.now(ZoneOffset.UTC).plus(lifetime);
            return vertx.executeBlocking(Uni.createFrom().item(() -> store.presignedDownload(artifact.objectKey, lifetime)))
                    .map(url -> new Download(artifact.sha256, artifact.size, url, expiresAt));
        });
    }

    @GET
    @Path("/{sha256}/sbom")
    @WithSession
    @Operation(summary = "The build's CycloneDX SBOM: a redirect (303) to a short-lived presigned URL")
    public Uni<Response> sbom(@PathParam("sha256") String sha256, @QueryParam("build") String build) {
        return companion(sha256, build, "SBOM", artifact -> artifact.sbomKey);
    }

    @GET
    @Path("/{sha256}/log")
    @WithSession
    @Operation(summary = "The build log: a redirect (303) to a short-lived presigned URL")
    public Uni<Response> log(@PathParam("sha256") String sha256, @QueryParam("build") String build) {
        return companion(sha256, build, "build log", artifact -> artifact.logKey);
    }

    @POST
    @Path("/{sha256}/verification")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Re-read the stored image, recompute its sha256 and check the signature over it")
    public Uni<Verification> verify(@PathParam("sha256") String sha256) {
        return visible(sha256).flatMap(records -> {
            ArtifactEntity artifact = records.get(0);
            return vertx.executeBlocking(Uni.createFrom().item(() -> store.measure(artifact.bucket, artifact.objectKey)))
                    .map(measured -> verification(artifact, measured));
        });
    }

    @GET
    @Path("/signing-key")
    @Produces("application/x-pem-file")
    @PermitAll
    @Operation(summary = "The public key artifact signatures verify with (PEM), for offline verification")
    public String signingKey() {
        return signer.publicKeyPem();
    }

    private Verification verification(ArtifactEntity artifact, ArtifactStore.Measured measured) {
        boolean digestMatches = measured.sha256().equals(artifact.sha256) && measured.size() == artifact.size;
        if (artifact.signatureValue == null) {
            return new Verification(artifact.sha256, measured.sha256(), measured.size(), artifact.size, false, null,
                    false, "the artifact was stored before artifacts were signed");
        }
        if (!signer.knows(artifact.signatureKeyId)) {
            return new Verification(artifact.sha256, measured.sha256(), measured.size(), artifact.size, false,
                    artifact.signatureKeyId, false, "signed with key " + artifact.signatureKeyId
                            + ", which is neither this service's key nor one of its previous ones"
                            + " (byoos.artifact.signing.previous-public-key-files); verify offline with that public key");
        }
        boolean signatureValid = signer.verifies(artifact.signatureKeyId, measured.sha256(), artifact.signatureValue);
        String detail = digestMatches && signatureValid ? "the stored bytes are the ones that were signed"
                : "the stored bytes changed since they were signed (sha256 " + measured.sha256() + ", " + measured.size()
                        + " bytes; recorded " + artifact.sha256 + ", " + artifact.size + " bytes)";
        return new Verification(artifact.sha256, measured.sha256(), measured.size(), artifact.size, signatureValid,
                artifact.signatureKeyId, digestMatches && signatureValid, detail);
    }

    private Uni<Response> companion(String sha256, String build, String what,
            Function<ArtifactEntity, String> key) {
        UUID buildId = build == null || build.isBlank() ? null : buildId(build);
        return visible(sha256).flatMap(records -> {
            ArtifactEntity artifact = records.stream()
                    .filter(candidate -> buildId == null || candidate.buildId.equals(buildId))
                    .filter(candidate -> key.apply(candidate) != null)
                    .findFirst()
                    .orElseThrow(() -> new NotFoundException("no " + what + " stored for image " + sha256
                            + (buildId == null ? "" : " and build " + buildId)));
            Duration lifetime = downloads.defaultExpiry();
            return vertx.executeBlocking(Uni.createFrom().item(() -> store.presignedDownload(key.apply(artifact), lifetime)))
                    .map(url -> Response.seeOther(URI.create(url)).build());
        });
    }

    /** The caller's records of an image, newest first; none is a 404 (another team's look absent). */
    private Uni<List<ArtifactEntity>> visible(String sha256) {
        if (!SHA256_HEX.matcher(sha256).matches()) {
            throw new NotFoundException("no artifact " + sha256 + " (artifacts are named by their lowercase hex sha256)");
        }
        Parameters parameters = Parameters.with("sha256", sha256);
        String where = "sha256 = :sha256 and " + teamCondition(caller.scope(), null, parameters);
        return ArtifactEntity.<ArtifactEntity>list(where + " order by createdAt desc, id", parameters)
                .invoke(records -> {
                    if (records.isEmpty()) {
                        throw new NotFoundException("no artifact " + sha256);
                    }
                });
    }

    /**
     * The caller's teams as a query condition: {@code team} when asked for (403 when it is not
     * theirs), otherwise all of them.
     */
    private static String teamCondition(TeamScope scope, String team, Parameters parameters) {
        if (team != null && !team.isBlank()) {
            if (!scope.includes(team)) {
                throw new ForbiddenException("not a member of team '" + team + "'");
            }
            parameters.and("team", team);
            return "team = :team";
        }
        if (scope.allTeams()) {
            return "1 = 1";
        }
        if (scope.teams().isEmpty()) {
            return "1 = 0";
        }
        parameters.and("teams", scope.teams());
        return "team in :teams";
    }

    private static Page page(Integer page, Integer size) {
        int index = page == null ? 0 : page;
        int length = size == null ? DEFAULT_PAGE_SIZE : size;
        if (index < 0 || length < 1 || length > MAX_PAGE_SIZE) {
            throw new BadRequestException("page must be 0 or more and size between 1 and " + MAX_PAGE_SIZE);
        }
        return Page.of(index, length);
    }

    private Duration expiry(String requested) {
        if (requested == null || requested.isBlank()) {
            return downloads.defaultExpiry();
        }
        Duration expiry;
        try {
            expiry = Duration.parse(requested.trim());
        } catch (DateTimeParseException e) {
            throw new BadRequestException("expiry must be an ISO-8601 duration, e.g. PT15M");
        }
        if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(downloads.maxExpiry()) > 0) {
            throw new BadRequestException("expiry must be positive and at most " + downloads.maxExpiry());
        }
        return expiry;
    }

    private static UUID buildId(String build) {
        try {
            return UUID.fromString(build.trim());
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("build must be a build id (a UUID)");
        }
    }
}
