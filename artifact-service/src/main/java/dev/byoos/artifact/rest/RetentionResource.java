package dev.byoos.artifact.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.smallrye.mutiny.Uni;

import dev.byoos.artifact.service.ArtifactRetention;
import dev.byoos.service.Caller;

/** Retention, for administrators only: it spans every team. Read the plan, then run it. */
@Path("/api/v1/retention")
@RolesAllowed(Caller.ADMIN)
public class RetentionResource {

    private final ArtifactRetention retention;

    public RetentionResource(ArtifactRetention retention) {
        this.retention = retention;
    }

    @GET
    @Path("/plan")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Dry run: the artifacts and objects a retention run would delete now; deletes nothing")
    public Uni<ArtifactRetention.Plan> plan() {
        return retention.plan();
    }

    @POST
    @Path("/runs")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Delete what the plan lists at this moment; reports what was deleted")
    public Uni<ArtifactRetention.Plan> run() {
        return retention.run();
    }
}
