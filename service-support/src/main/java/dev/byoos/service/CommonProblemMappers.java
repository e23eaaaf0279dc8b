package dev.byoos.service;

import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The errors every service API shares, as problem details: never an HTML page or a stack trace.
 * Services add mappers for their own exceptions; the most specific exception type wins.
 */
public class CommonProblemMappers {

    private static final Logger LOG = Logger.getLogger(CommonProblemMappers.class);

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
        return problem.toResponse();
    }
}
