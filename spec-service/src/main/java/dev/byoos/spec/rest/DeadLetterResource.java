package dev.byoos.spec.rest;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.byoos.service.Caller;
import dev.byoos.spec.service.DeadLetters;

/**
 * The pipeline's dead letters, for administrators only: they span every team. Kafka's clients
 * block, so these methods run on worker threads (their return types are not reactive).
 */
@Path("/api/v1/admin/dead-letters")
@RolesAllowed(Caller.ADMIN)
public class DeadLetterResource {

    /** The listing's shape: the pipeline page reads {@code deadLetters}. */
    public record Listing(List<DeadLetters.Entry> deadLetters) {
    }

    private final DeadLetters deadLetters;
    private final Caller caller;

    public DeadLetterResource(DeadLetters deadLetters, Caller caller) {
        this.deadLetters = deadLetters;
        this.caller = caller;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The newest dead letters of every <topic>.dlq, newest first, with whether each was replayed")
    public Listing list(@QueryParam("limit") Integer limit) {
        return new Listing(deadLetters.list(limit));
    }

    @POST
    @Path("/{id}/replay")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Send a dead letter back to its original topic: 202 the first time, 200 (nothing sent) after")
    public Response replay(@PathParam("id") String id) {
        DeadLetters.Replay replay = deadLetters.replay(id, caller.subject());
        return Response.status(replay.sent() ? Response.Status.ACCEPTED : Response.Status.OK).entity(replay.entry())
                .build();
    }
}
