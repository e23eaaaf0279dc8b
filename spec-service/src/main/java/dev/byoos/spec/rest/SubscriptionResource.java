package dev.byoos.spec.rest;

import java.net.URI;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.smallrye.mutiny.Uni;

import dev.byoos.service.Caller;
import dev.byoos.spec.notify.Subscriptions;
import dev.byoos.spec.notify.Subscriptions.Subscription;

/** Notification subscriptions of the caller's teams (docs/architecture.md, "Notifications"). */
@Path("/api/v1/subscriptions")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class SubscriptionResource {

    private final Subscriptions subscriptions;
    private final Caller caller;

    public SubscriptionResource(Subscriptions subscriptions, Caller caller) {
        this.subscriptions = subscriptions;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Subscribe an HTTP endpoint of a team to event types; the answer shows the signing secret, once")
    public Uni<Response> create(Subscriptions.Request request) {
        if (request != null && request.team() != null) {
            caller.requireTeam(request.team());
        }
        return subscriptions.create(request, caller.subject())
                .map(created -> Response.created(URI.create(created.href())).entity(created).build());
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The subscriptions of the caller's teams, optionally of one team (without secrets)")
    public Uni<List<Subscription>> list(@QueryParam("team") String team) {
        return subscriptions.list(caller.scope(), team);
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Delete a subscription and its delivery log; nothing more is sent to it")
    public Uni<Response> delete(@PathParam("id") String id) {
        return subscriptions.delete(id, caller.scope()).map(done -> Response.noContent().build());
    }
}
