package dev.byoos.pack.rest;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;

import dev.byoos.pack.render.ClusterProfileLayer;
import dev.byoos.pack.render.PackKind;
import dev.byoos.pack.render.PackValues;
import dev.byoos.pack.repository.PackAuditEntity;
import dev.byoos.pack.repository.PackEntity;
import dev.byoos.pack.repository.PackRetirements;
import dev.byoos.pack.repository.PackVersionEntity;
import dev.byoos.pack.repository.VersionLifecycle;
import dev.byoos.pack.service.PackRetiring;
import dev.byoos.service.Caller;
import dev.byoos.service.TeamScope;

/**
 * The pack catalog: published packs, their versions, and each version's lineage
 * (pack → artifact → build → spec), its deprecations and revocations, and the audit trail of them.
 * Scoped to the caller's teams: another team's pack looks absent.
 */
@Path("/api/v1/packs")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class PackResource {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 200;

    private final Caller caller;
    private final PackRetiring retiring;

    public PackResource(Caller caller, PackRetiring retiring) {
        this.caller = caller;
        this.retiring = retiring;
    }

    public record PageOf<T>(List<T> items, int page, int size, long total) {
    }

    public record PackSummary(String name, String displayName, String team, OffsetDateTime createdAt, String href) {
        static PackSummary of(PackEntity pack) {
            return new PackSummary(pack.name, pack.displayName, pack.team, pack.createdAt,
                    "/api/v1/packs/" + pack.name + "/versions");
        }
    }

    public record VersionSummary(String version, String reference, String manifestDigest, String artifactSha256,
            String buildId, OffsetDateTime publishedAt, String state, String href) {
        static VersionSummary of(PackEntity pack, PackVersionEntity version) {
            return new VersionSummary(version.version, version.reference, version.manifestDigest,
                    version.artifactSha256, version.buildId, version.publishedAt,
                    VersionLifecycle.of(version).state(),
                    "/api/v1/packs/" + pack.name + "/versions/" + version.version);
        }
    }

    /** One version and where it came from, link by link. */
    public record PackVersion(Pack pack, Artifact artifact, Build build, Spec spec, OffsetDateTime publishedAt,
            VersionLifecycle lifecycle) {

        public record Pack(String name, String displayName, String version, String team, String kind,
                String cloudType, String reference, String manifestDigest, String osImageOverride, String osName,
                String osVersion, String kubernetesVersion) {
        }

        public record Artifact(String sha256, String uri, long size, String format, String signatureKeyId,
                String sbom) {
        }

        public record Build(String id, String targetCloud) {
        }

        public record Spec(String team, String name, int version, String digest) {
        }

        /** @param pack the version's pack, passed in: the lazy association is not loaded */
        static PackVersion of(PackEntity pack, PackVersionEntity v) {
            return new PackVersion(
                    new Pack(pack.name, pack.displayName, v.version, pack.team, v.packKind, v.cloudType,
                            v.reference, v.manifestDigest, v.osImageOverride, v.osName, v.osVersion,
                            v.kubernetesVersion),
                    new Artifact(v.artifactSha256, v.artifactUri, v.artifactSize, v.artifactFormat, v.signatureKeyId,
                            v.sbomUri),
                    new Build(v.buildId, v.targetCloud),
                    new Spec(v.specTeam, v.specName, v.specVersion, v.specDigest),
                    v.publishedAt, VersionLifecycle.of(v));
        }
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Published packs of the caller's teams (or of one team), by name; paged")
    public Uni<PageOf<PackSummary>> list(@QueryParam("team") String team, @QueryParam("page") Integer page,
            @QueryParam("size") Integer size) {
        Page paging = page(page, size);
        Parameters parameters = new Parameters();
        var query = PackEntity.<PackEntity>find("from PackEntity p where " + teamCondition(caller.scope(), team,
                parameters) + " order by p.name", parameters);
        // One session runs one query at a time: the rows, then the total.
        return query.page(paging).list().flatMap(packs -> query.count().map(total -> new PageOf<>(
                packs.stream().map(PackSummary::of).toList(), paging.index, paging.size, total)));
    }

    /**
     * The cluster-profile OS layer for one version, as the pack's README gives it.
     *
     * @param references       what the layer names: always this custom pack (see {@link ClusterProfileLayer})
     * @param paletteApiLayer  the entry of a cluster profile's {@code spec.template.packs}
     * @param terraform        the data sources and {@code pack {}} block of a {@code spectrocloud_cluster_profile}
     */
    public record ProfileLayer(String pack, String version, String references, Map<String, String> paletteApiLayer,
            String terraform) {
        static ProfileLayer of(PackEntity pack, PackVersionEntity v) {
            String values = PackValues.values(PackKind.ofPaletteName(v.packKind), v.osImageOverride, v.osName,
                    v.osVersion);
            ClusterProfileLayer layer = new ClusterProfileLayer(pack.name, v.version, values);
            return new ProfileLayer(pack.name, v.version, "custom-pack", layer.paletteApiLayer(), layer.terraform());
        }
    }

    @GET
    @Path("/{name}/versions")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Every published version of one pack, oldest first")
    public Uni<List<VersionSummary>> versions(@PathParam("name") String name) {
        return visiblePack(name).flatMap(pack -> PackVersionEntity.listPublished(pack)
                .map(versions -> versions.stream().map(version -> VersionSummary.of(pack, version)).toList()));
    }

    @GET
    @Path("/{name}/versions/{version}")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "One published version with its lineage: the artifact, the build and the spec it came from")
    public Uni<PackVersion> version(@PathParam("name") String name, @PathParam("version") String version) {
        return published(name, version).map(found -> PackVersion.of(found.pack(), found.version()));
    }

    @GET
    @Path("/{name}/versions/{version}/cluster-profile-layer")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "The cluster-profile OS layer that uses one published version: Palette API pack entry and "
            + "Terraform pack block")
    public Uni<ProfileLayer> clusterProfileLayer(@PathParam("name") String name, @PathParam("version") String version) {
        return published(name, version).map(found -> ProfileLayer.of(found.pack(), found.version()));
    }

    /** The body of a deprecation or revocation. */
    public record RetirementRequest(String reason) {
    }

    @POST
    @Path("/{name}/versions/{version}/deprecation")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Deprecates a published version (a submitter of the owning team; reason required); "
            + "announces dev.byoos.pack.deprecated.v1; repeating it changes nothing")
    public VersionLifecycle deprecate(@PathParam("name") String name, @PathParam("version") String version,
            RetirementRequest request) {
        return retire(name, version, PackRetirements.Action.DEPRECATED, request);
    }

    @POST
    @Path("/{name}/versions/{version}/revocation")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Caller.ADMIN)
    @Operation(summary = "Revokes a published version (admin; reason required): marked in the catalog and in the "
            + "registry, announces dev.byoos.pack.revoked.v1; never undone, repeating it changes nothing")
    public VersionLifecycle revoke(@PathParam("name") String name, @PathParam("version") String version,
            RetirementRequest request) {
        return retire(name, version, PackRetirements.Action.REVOKED, request);
    }

    /** A lifecycle action on one version: publishing (from the catalog), deprecation, revocation. */
    public record AuditEntry(String version, String action, String actor, String reason, String buildId,
            OffsetDateTime at) {
    }

    @GET
    @Path("/{name}/audit")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Every lifecycle action on the pack's versions, oldest first: published, deprecated, revoked")
    public Uni<List<AuditEntry>> audit(@PathParam("name") String name) {
        // One session runs one query at a time: the versions, then the recorded actions.
        return visiblePack(name).flatMap(pack -> PackVersionEntity.listPublished(pack)
                .flatMap(versions -> PackAuditEntity.<PackAuditEntity>list("pack = ?1", pack).map(actions -> {
                    List<AuditEntry> entries = new ArrayList<>();
                    versions.forEach(v -> entries.add(new AuditEntry(v.version, "published", null, null, v.buildId,
                            v.publishedAt)));
                    actions.forEach(a -> entries.add(new AuditEntry(a.version, a.action, a.actor, a.reason, null,
                            a.at)));
                    entries.sort(Comparator.comparing(AuditEntry::at));
                    return entries;
                })));
    }

    private VersionLifecycle retire(String name, String version, PackRetirements.Action action,
            RetirementRequest request) {
        return retiring.retire(name, version, action, request == null ? null : request.reason(), caller.subject(),
                caller.scope());
    }

    private record Published(PackEntity pack, PackVersionEntity version) {
    }

    private Uni<Published> published(String name, String version) {
        return visiblePack(name).flatMap(pack -> PackVersionEntity.findPublished(pack, version).map(found -> {
            if (found == null) {
                throw new NotFoundException("pack " + name + " has no version " + version);
            }
            return new Published(pack, found);
        }));
    }

    /** A pack of another team answers 404 like a missing one: names cannot be probed. */
    private Uni<PackEntity> visiblePack(String name) {
        TeamScope scope = caller.scope();
        return PackEntity.findByName(name).map(pack -> {
            if (pack == null || !scope.includes(pack.team)) {
                throw new NotFoundException("no pack named " + name);
            }
            return pack;
        });
    }

    private static Page page(Integer page, Integer size) {
        int index = page == null ? 0 : page;
        int length = size == null ? DEFAULT_PAGE_SIZE : size;
        if (index < 0) {
            throw new BadRequestException("page must be 0 or more");
        }
        if (length < 1 || length > MAX_PAGE_SIZE) {
            throw new BadRequestException("size must be between 1 and " + MAX_PAGE_SIZE);
        }
        return Page.of(index, length);
    }

    /** The asked-for team (403 if not the caller's), else every team of the caller. */
    private static String teamCondition(TeamScope scope, String team, Parameters parameters) {
        if (team != null && !team.isBlank()) {
            if (!scope.includes(team)) {
                throw new ForbiddenException("not a member of team '" + team + "'");
            }
            parameters.and("team", team);
            return "p.team = :team";
        }
        if (scope.allTeams()) {
            return "1 = 1";
        }
        if (scope.teams().isEmpty()) {
            return "1 = 0";
        }
        parameters.and("teams", scope.teams());
        return "p.team in :teams";
    }
}
