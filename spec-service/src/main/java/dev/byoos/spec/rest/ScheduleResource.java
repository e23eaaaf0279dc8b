package dev.byoos.spec.rest;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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

import io.smallrye.mutiny.Uni;

import dev.byoos.service.Caller;
import dev.byoos.spec.repository.ScheduleStore.SpecSchedule;
import dev.byoos.spec.service.SpecSchedules;

/**
 * A spec's schedules. Every request names the team (a spec name is the team's own); a caller
 * outside it is refused (403) before anything is read. Submitters and admins change schedules,
 * viewers read them.
 */
@Path("/api/v1/specs/{name}/schedules")
@Produces(MediaType.APPLICATION_JSON)
public class ScheduleResource {

    /** A new schedule: a 5-field Unix cron expression read in an IANA time zone. */
    public record NewSchedule(String cron, String timeZone) {
    }

    private final SpecSchedules schedules;
    private final Caller caller;

    public ScheduleResource(SpecSchedules schedules, Caller caller) {
        this.schedules = schedules;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Schedule rebuilds of a spec with its next pack version (the spec needs pack.versionPolicy)")
    public Uni<Response> create(@PathParam("name") String name, @QueryParam("team") String team, NewSchedule body) {
        requireTeam(team);
        if (body == null) {
            throw new BadRequestException("the body must be {\"cron\": \"0 3 * * 1\", \"timeZone\": \"Europe/Berlin\"}");
        }
        return schedules.create(team, name, body.cron(), body.timeZone(), caller.subject())
                .map(created -> Response.created(URI.create("/api/v1/specs/" + name + "/schedules/" + created.id()
                        + "?team=" + team)).entity(created).build());
    }

    @GET
    @RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "A spec's schedules, oldest first")
    public Uni<List<SpecSchedule>> list(@PathParam("name") String name, @QueryParam("team") String team) {
        requireTeam(team);
        return schedules.list(team, name);
    }

    @POST
    @Path("/{id}/pause")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Stop a schedule firing; it is kept")
    public Uni<SpecSchedule> pause(@PathParam("name") String name, @PathParam("id") String id,
            @QueryParam("team") String team) {
        requireTeam(team);
        return schedules.pause(team, name, parse(id));
    }

    @POST
    @Path("/{id}/resume")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Fire a paused schedule again from its next time; missed firings are not made up")
    public Uni<SpecSchedule> resume(@PathParam("name") String name, @PathParam("id") String id,
            @QueryParam("team") String team) {
        requireTeam(team);
        return schedules.resume(team, name, parse(id));
    }

    @POST
    @Path("/{id}/runs")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Run a schedule now: the next pack version is built at once (trigger schedule); "
            + "its times are unchanged")
    public Uni<Response> runNow(@PathParam("name") String name, @PathParam("id") String id,
            @QueryParam("team") String team) {
        requireTeam(team);
        return schedules.runNow(team, name, parse(id), caller.subject())
                .map(accepted -> Response.status(Response.Status.ACCEPTED)
                        .location(URI.create("/api/v1/specs/" + name + "/versions/" + accepted.spec().version))
                        .entity(SpecResource.Submission.of(accepted)).build());
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Delete a schedule")
    public Uni<Response> delete(@PathParam("name") String name, @PathParam("id") String id,
            @QueryParam("team") String team) {
        requireTeam(team);
        return schedules.delete(team, name, parse(id)).map(deleted -> Response.noContent().build());
    }

    private void requireTeam(String team) {
        if (team == null || team.isBlank()) {
            throw new BadRequestException("?team= is required: a spec name is its team's own");
        }
        caller.requireTeam(team);
    }

    private static UUID parse(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no schedule " + id + " (schedule ids are UUIDs)");
        }
    }
}
