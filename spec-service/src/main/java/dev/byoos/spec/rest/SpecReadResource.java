package dev.byoos.spec.rest;

import java.time.OffsetDateTime;
import java.util.List;

import jakarta.ws.rs.BadRequestException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.service.Caller;
import dev.byoos.spec.repository.SpecEntity;

/** Stored specs: the latest version of each, and any version in full. */
@Path("/api/v1/specs")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class SpecReadResource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LATEST_VERSIONS = "from SpecEntity s where s.version = "
            + "(select max(v.version) from SpecEntity v where v.team = s.team and v.name = s.name)";

    private final Caller caller;

    public SpecReadResource(Caller caller) {
        this.caller = caller;
    }

    public record SpecSummary(String team, String name, int latestVersion, String digest, OffsetDateTime createdAt,
            String href) {
        static SpecSummary of(SpecEntity spec) {
            return new SpecSummary(spec.team, spec.name, spec.version, spec.digest, spec.createdAt,
                    "/api/v1/specs/" + spec.name + "/versions/" + spec.version + "?team=" + spec.team);
        }
    }

    public record SpecVersion(String team, String name, int version, String digest, OffsetDateTime createdAt,
            JsonNode document, List<BuildView.Summary> builds) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "The latest version of every spec, optionally of one team; paged")
    public Uni<SpecQueries.PageOf<SpecSummary>> list(@QueryParam("team") String team, @QueryParam("page") Integer page,
            @QueryParam("size") Integer size) {
        var paging = SpecQueries.page(page, size);
        Parameters parameters = new Parameters();
        String teams = SpecQueries.teamCondition(caller.scope(), team, "s.team", parameters);
        var query = SpecEntity.<SpecEntity>find(LATEST_VERSIONS + " and " + teams + " order by s.team, s.name",
                parameters);
        return SpecQueries.pageOf(paging, query.page(paging).list(), query::count, SpecSummary::of);
    }

    @GET
    @Path("/{name}/versions/{version}")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "One stored spec version, as accepted (defaults applied), with its builds")
    public Uni<SpecVersion> version(@PathParam("name") String name, @PathParam("version") int version,
            @QueryParam("team") String team) {
        var query = team == null || team.isBlank()
                ? SpecEntity.<SpecEntity>list("name = ?1 and version = ?2", name, version)
                : SpecEntity.<SpecEntity>list("name = ?1 and version = ?2 and team = ?3", name, version, team);
        return query.map(found -> found.stream().filter(spec -> caller.scope().includes(spec.team)).toList())
                .flatMap(specs -> {
            if (specs.isEmpty()) {
                return Uni.createFrom().failure(new NotFoundException("no version " + version + " of spec " + name
                        + (team == null ? "" : " in team " + team)));
            }
            if (specs.size() > 1) {
                return Uni.createFrom().failure(new BadRequestException("several teams have a spec named " + name
                        + "; add ?team="));
            }
            SpecEntity spec = specs.get(0);
            return BuildEntity.<BuildEntity>list("spec = ?1 order by targetCloud, attempt", spec)
                    .map(builds -> new SpecVersion(spec.team, spec.name, spec.version, spec.digest, spec.createdAt,
                            document(spec), builds.stream().map(BuildView.Summary::of).toList()));
        });
    }

    private static JsonNode document(SpecEntity spec) {
        try {
            return JSON.readTree(spec.document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored spec " + spec.id + " is not JSON", e);
        }
    }
}
