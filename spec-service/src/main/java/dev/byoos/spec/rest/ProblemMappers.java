package dev.byoos.spec.rest;

import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.byoos.spec.service.BuildConflictException;
import dev.byoos.spec.service.IdempotencyKeyReusedException;
import dev.byoos.spec.validation.SpecRejectedException;

/** Every error leaves the API as problem details, never as an HTML page or a stack trace. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response rejected(SpecRejectedException e, UriInfo uri) {
        return respond(Problem.invalidSpec(uri.getPath(), e.violations()));
    }

    @ServerExceptionMapper
    public Response conflict(BuildConflictException e, UriInfo uri) {
        return respond(Problem.of(409, "build-conflict", "Conflict with the build's state", e.getMessage(),
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

    @ServerExceptionMapper({ io.quarkus.security.UnauthorizedException.class,
            io.quarkus.security.AuthenticationFailedException.class })
    public Response unauthenticated(RuntimeException e, UriInfo uri) {
        return Response.fromResponse(respond(Problem.of(401, "unauthenticated", "Authentication required",
                "send a valid bearer token (Authorization: Bearer <JWT>); the local stack prints one with "
                        + "./byoos token --team <team> --role submitter", uri.getPath())))
                .header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper(io.quarkus.security.ForbiddenException.class)
    public Response forbiddenRole(RuntimeException e, UriInfo uri) {
        return respond(Problem.of(403, "forbidden", "Forbidden",
                "the token's roles (groups claim) do not allow this; viewer reads, submitter also submits, "
                        + "cancels and retries, admin does everything", uri.getPath()));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e, UriInfo uri) {
        return respond(Problem.of(404, "not-found", "Not found", e.getMessage(), uri.getPath()));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        return respond(Problem.of(status, "http-" + status, e.getResponse().getStatusInfo().getReasonPhrase(),
                e.getMessage(), uri.getPath()));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e, UriInfo uri) {
        LOG.errorf(e, "unexpected failure serving %s", uri.getPath());
        return respond(Problem.of(500, "internal-error", "Internal error",
                "the request failed on the server; it has been logged", uri.getPath()));
    }

    static Response respond(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
