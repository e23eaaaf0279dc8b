package dev.byoos.spec.rest;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.repository.BuildTransitionEntity;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.service.BuildCancellation;
import dev.byoos.spec.service.BuildRetries;
import dev.byoos.service.Caller;

@Path("/api/v1/builds")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class BuildResource {

    private final BuildRetries retries;
    private final BuildCancellation cancellation;
    private final Caller caller;

    public BuildResource(BuildRetries retries, BuildCancellation cancellation, Caller caller) {
        this.retries = retries;
        this.cancellation = cancellation;
        this.caller = caller;
    }

    /**
     * A build in a list: what it is, where it stands, its current stage's progress and its failure,
     * without its timeline. The pipeline page's live stream sends builds in this shape too
     * ({@code build_changed()} in the V5 migration, with the trigger since V12).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Listed(String id, String team, String spec, int specVersion, BuildView.Target target, int attempt,
            String trigger, BuildState state, BuildView.Progress progress, BuildView.Failure failure, OffsetDateTime createdAt,
            OffsetDateTime updatedAt, String href) {
        static Listed of(BuildEntity build) {
            return new Listed(build.id.toString(), build.team, build.spec.name, build.spec.version,
                    new BuildView.Target(build.targetCloud, build.targetFormat), build.attempt, build.trigger, build.state,
                    BuildView.Progress.of(build), BuildView.Failure.of(build), build.createdAt, build.updatedAt,
                    "/api/v1/builds/" + build.id);
        }
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Builds, newest first, filtered by team, state and creation time; paged")
    public Uni<SpecQueries.PageOf<Listed>> list(@QueryParam("team") String team, @QueryParam("state") String state,
            @QueryParam("since") String since, @QueryParam("page") Integer page, @QueryParam("size") Integer size) {
        var paging = SpecQueries.page(page, size);
        Parameters parameters = new Parameters();
        StringBuilder where = new StringBuilder(SpecQueries.teamCondition(caller.scope(), team, "b.team", parameters));
        BuildState wanted = SpecQueries.state(state);
        if (wanted != null) {
            where.append(" and b.state = :state");
            parameters.and("state", wanted);
        }
        OffsetDateTime from = SpecQueries.since(since);
        if (from != null) {
            where.append(" and b.createdAt >= :since");
            parameters.and("since", from);
        }
        return SpecQueries.pageOf(paging,
                BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where " + where
                        + " order by b.createdAt desc, b.id", parameters).page(paging).list(),
                () -> BuildEntity.count("from BuildEntity b where " + where, parameters),
                Listed::of);
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "A build's state across every stage, its progress, when it entered each state, and its event timeline")
    public Uni<BuildView> get(@PathParam("id") String id) {
        UUID buildId = parse(id);
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where b.id = ?1", buildId)
                .firstResult()
                // Another team's build is reported as absent: ids must not be probed across teams.
                .map(build -> build != null && caller.scope().includes(build.team) ? build : null)
                .onItem().ifNull().failWith(() -> new NotFoundException("no build " + id))
                .flatMap(build -> BuildTransitionEntity.<BuildTransitionEntity>list("buildId = ?1 order by enteredAt",
                        buildId)
                        .flatMap(transitions -> BuildEventEntity.<BuildEventEntity>list("buildId = ?1 order by receivedAt",
                                buildId)
                                .map(events -> BuildView.of(build, transitions, events))));
    }

    @POST
    @Path("/{id}/retry")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Build a failed or cancelled target again, as its next attempt")
    public Uni<Response> retry(@PathParam("id") String id) {
        return retries.retry(parse(id), caller.scope()).map(retry -> Response.accepted(BuildView.Summary.of(retry))
                .location(URI.create("/api/v1/builds/" + retry.id))
                .build());
    }

    @POST
    @Path("/{id}/cancel")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Cancel a build not yet BUILT; a running build stops within seconds and nothing is published; "
            + "409 too-late-to-cancel from BUILT on")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    public Uni<BuildView.Summary> cancel(@PathParam("id") String id) {
        return cancellation.cancel(parse(id), caller.scope(), caller.subject()).map(BuildView.Summary::of);
    }

    private static UUID parse(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no build " + id + " (build ids are UUIDs)");
        }
    }
}
