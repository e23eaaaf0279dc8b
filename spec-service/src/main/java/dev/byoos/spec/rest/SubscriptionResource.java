package dev.byoos.spec.rest;

import java.net.URI;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
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
import dev.byoos.spec.notify.Deliveries;
import dev.byoos.spec.notify.Deliveries.Delivery;
import dev.byoos.spec.notify.Subscriptions;
import dev.byoos.spec.notify.Subscriptions.Subscription;

/** Notification subscriptions of the caller's teams (docs/architecture.md, "Notifications"). */
@Path("/api/v1/subscriptions")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class SubscriptionResource {

    /** Deliveries listed when the request names no limit, and the most it may name. */
    static final int DEFAULT_DELIVERIES = 50;
    static final int MAX_DELIVERIES = 500;

    private final Subscriptions subscriptions;
    private final Deliveries deliveries;
    private final Caller caller;

    public SubscriptionResource(Subscriptions subscriptions, Deliveries deliveries, Caller caller) {
        this.subscriptions = subscriptions;
        this.deliveries = deliveries;
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
        if (team != null && !team.isBlank()) {
            // As for specs and builds: filtering by a foreign team is refused, not answered empty.
            caller.requireTeam(team);
        }
        return subscriptions.list(caller.scope(), team);
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Delete a subscription and its delivery log; nothing more is sent to it")
    public Uni<Response> delete(@PathParam("id") String id) {
        return subscriptions.delete(id, caller.scope()).map(done -> Response.noContent().build());
    }

    @GET
    @Path("/{id}/deliveries")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A subscription's delivery log, newest first: each event sent, its state and every attempt")
    public Uni<List<Delivery>> deliveries(@PathParam("id") String id, @QueryParam("limit") Integer limit) {
        int wanted = limit == null ? DEFAULT_DELIVERIES : limit;
        if (wanted < 1 || wanted > MAX_DELIVERIES) {
            throw new BadRequestException("limit must be 1 to " + MAX_DELIVERIES);
        }
        return subscriptions.owned(id, caller.scope()).flatMap(subscription -> deliveries.log(subscription, wanted));
    }

    @POST
    @Path("/{id}/deliveries/{deliveryId}/redeliver")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Send a delivery again, now, with a fresh allowance of attempts; same CloudEvent id "
            + "(receivers deduplicate by it)")
    public Uni<Response> redeliver(@PathParam("id") String id, @PathParam("deliveryId") String deliveryId) {
        return subscriptions.owned(id, caller.scope())
                .flatMap(subscription -> deliveries.redeliver(subscription, deliveryId))
                .map(delivery -> Response.accepted(delivery).build());
    }
}
