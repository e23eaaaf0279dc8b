package dev.byoos.spec.rest;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;

import dev.byoos.messaging.resilience.PostgresOutages;
import dev.byoos.service.CommonProblemMappers;
import dev.byoos.service.Problem;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.service.BuildConflictException;
import dev.byoos.spec.service.IdempotencyKeyReusedException;
import dev.byoos.spec.service.NoVersionPolicyException;
import dev.byoos.spec.service.PackNameTakenException;
import dev.byoos.spec.service.PackVersionRevokedException;
import dev.byoos.spec.service.TooLateToCancelException;
import dev.byoos.spec.validation.SpecRejectedException;

/** spec-service's own errors as problem details; CommonProblemMappers covers the shared ones. */
public class ProblemMappers {

    private final SpecServiceConfig config;

    public ProblemMappers(SpecServiceConfig config) {
        this.config = config;
    }

    /**
     * No database connection within {@code byoos.spec.database.acquire-timeout}, or too many requests
     * already waiting for one (DatabasePool): the service is overloaded, not broken. 503 with
     * Retry-After tells clients to come back instead of counting a server error.
     */
    @ServerExceptionMapper
    public Response databaseBusy(ConnectionPoolTooBusyException e, UriInfo uri) {
        return busy(e, uri);
    }

    /**
     * The pool's acquire timeout fails with a bare {@code NoStackTraceThrowable("Timeout")} (Vert.x
     * has no type for it); any other one is as unexpected as ever.
     */
    @ServerExceptionMapper
    public Response vertxFailure(NoStackTraceThrowable e, UriInfo uri) {
        return PostgresOutages.isPoolTimeout(e) ? busy(e, uri)
                : new CommonProblemMappers().unexpected(new IllegalStateException(e), uri);
    }

    /**
     * PostgreSQL stopped, restarting or refusing connections (PostgresOutages): nothing was
     * stored, and the same request succeeds once it is back, so 503 with Retry-After rather than a
     * server error. Mapped for RuntimeException (the pool's ClosedConnectionException, Hibernate's
     * wrappers: a mapper is chosen by the nearest type first, so this one must name RuntimeException
     * to win over CommonProblemMappers' by priority) and for Exception (the checked connection
     * failures no other mapper sees); any other failure is as unexpected as ever.
     */
    @ServerExceptionMapper(value = { RuntimeException.class, Exception.class }, priority = Priorities.USER - 100)
    public Response databaseUnavailable(Throwable e, UriInfo uri) {
        if (!PostgresOutages.isOutage(e)) {
            return new CommonProblemMappers().unexpected(
                    e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e), uri);
        }
        if (e instanceof ConnectionPoolTooBusyException || PostgresOutages.isPoolTimeout(e)) {
            return busy(e, uri);
        }
        long retryAfter = Math.max(1, config.database().retryAfter().toSeconds());
        return Response.fromResponse(respond(Problem.of(503, "database-unavailable", "Service unavailable",
                "the database is unavailable, nothing was stored; retry after " + retryAfter + " s",
                uri.getPath())))
                .header("Retry-After", retryAfter).build();
    }

    private Response busy(Throwable e, UriInfo uri) {
        long retryAfter = Math.max(1, config.database().retryAfter().toSeconds());
        return Response.fromResponse(respond(Problem.of(503, "database-busy", "Service busy",
                "no database connection was free in time (" + e.getMessage() + "); retry after " + retryAfter + " s",
                uri.getPath())))
                .header("Retry-After", retryAfter).build();
    }

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

    @ServerExceptionMapper
    public Response noVersionPolicy(NoVersionPolicyException e, UriInfo uri) {
        return respond(Problem.of(409, "no-version-policy", "The spec states no pack version policy", e.getMessage(),
                uri.getPath()));
    }

    @ServerExceptionMapper
    public Response packVersionRevoked(PackVersionRevokedException e, UriInfo uri) {
        return respond(Problem.of(409, "pack-version-revoked", "The spec version's pack was revoked", e.getMessage(),
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
