package dev.byoos.spec.rest;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.byoos.service.Problem;
import dev.byoos.spec.service.BuildConflictException;
import dev.byoos.spec.service.IdempotencyKeyReusedException;
import dev.byoos.spec.service.PackNameTakenException;
import dev.byoos.spec.service.TooLateToCancelException;
import dev.byoos.spec.validation.SpecRejectedException;

/** spec-service's own errors as problem details; CommonProblemMappers covers the shared ones. */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response rejected(SpecRejectedException e, UriInfo uri) {
        return respond(new Problem(Problem.TYPE_BASE + "invalid-spec", "The image spec was rejected", 400,
                e.violations().size() + " violation(s); nothing was stored", uri.getPath(), e.violations()));
    }

    @ServerExceptionMapper
    public Response packNameTaken(PackNameTakenException e, UriInfo uri) {
        return respond(new Problem(Problem.TYPE_BASE + "pack-name-taken", "The pack name belongs to another team", 409,
                e.getMessage(), uri.getPath(), e.violations()));
    }

    @ServerExceptionMapper
    public Response conflict(BuildConflictException e, UriInfo uri) {
        return respond(Problem.of(409, "build-conflict", "Conflict with the build's state", e.getMessage(),
                uri.getPath()));
    }

    /** Its own type, so a client can tell "too late" from other conflicts without parsing the detail. */
    @ServerExceptionMapper
    public Response tooLateToCancel(TooLateToCancelException e, UriInfo uri) {
        return respond(Problem.of(409, "too-late-to-cancel", "Too late to cancel the build", e.getMessage(),
                uri.getPath()));
    }

    @ServerExceptionMapper
    public Response keyReused(IdempotencyKeyReusedException e, UriInfo uri) {
        return respond(Problem.of(422, "idempotency-key-reused", "Idempotency-Key reused for another request",
                e.getMessage(), uri.getPath()));
    }

    @ServerExceptionMapper
    public Response hookUnauthorized(HookResource.HookUnauthorizedException e, UriInfo uri) {
        return respond(Problem.of(401, "webhook-signature", "Webhook signature not verified", e.getMessage(),
                uri.getPath()));
    }

    @ServerExceptionMapper
    public Response hookReplayed(HookResource.HookReplayedException e, UriInfo uri) {
        return respond(Problem.of(409, "webhook-replayed", "Webhook delivery already received", e.getMessage(),
                uri.getPath()));
    }

    static Response respond(Problem problem) {
        return problem.toResponse();
    }
}
