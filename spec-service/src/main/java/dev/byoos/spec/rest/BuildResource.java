package dev.byoos.spec.rest;

import java.util.UUID;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;

@Path("/api/v1/builds")
public class BuildResource {

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "A build's state across every stage, with its event timeline")
    public Uni<BuildView> get(@PathParam("id") String id) {
        UUID buildId = parse(id);
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where b.id = ?1", buildId)
                .firstResult()
                .onItem().ifNull().failWith(() -> new NotFoundException("no build " + id))
                .flatMap(build -> BuildEventEntity.<BuildEventEntity>list("buildId = ?1 order by receivedAt", buildId)
                        .map(events -> BuildView.of(build, events)));
    }

    private static UUID parse(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no build " + id + " (build ids are UUIDs)");
        }
    }
}
