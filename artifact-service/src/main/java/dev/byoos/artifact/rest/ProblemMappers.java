package dev.byoos.artifact.rest;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.byoos.artifact.storage.ArtifactStore;
import dev.byoos.service.Problem;

/** artifact-service's own errors as problem details; CommonProblemMappers covers the shared ones. */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response storageUnavailable(ArtifactStore.StorageUnavailableException e, UriInfo uri) {
        return Response.fromResponse(Problem.of(503, "storage-unavailable", "Artifact storage unavailable",
                "S3 could not be reached; try again shortly", uri.getPath()).toResponse())
                .header("Retry-After", "30").build();
    }

    /** S3 refuses this service's own request (its credentials, its bucket): an operator must act. */
    @ServerExceptionMapper
    public Response storageRefused(ArtifactStore.StorageRefusedException e, UriInfo uri) {
        return Problem.of(502, "storage-refused", "Artifact storage refused the request",
                "S3 refused the request (" + e.s3Code() + "); an operator must fix the storage configuration",
                uri.getPath()).toResponse();
    }

    @ServerExceptionMapper
    public Response storedObjectMissing(ArtifactStore.ObjectMissingException e, UriInfo uri) {
        return Problem.of(410, "artifact-gone", "The artifact's object is gone from storage", e.getMessage(),
                uri.getPath()).toResponse();
    }
}
