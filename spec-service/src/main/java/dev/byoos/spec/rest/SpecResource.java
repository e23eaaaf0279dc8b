package dev.byoos.spec.rest;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.service.Caller;
import dev.byoos.spec.service.CanonicalSpecs;
import dev.byoos.spec.service.NextPackVersionRebuilds;
import dev.byoos.spec.service.SpecIntake;
import dev.byoos.spec.validation.SpecParser;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.SpecReader;
import dev.byoos.spec.validation.Violation;

@Path("/api/v1/specs")
public class SpecResource {

    /** Makes a retried submission return the first one's outcome (IETF httpapi Idempotency-Key draft). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    private static final Pattern IDEMPOTENCY_KEY_FORMAT = Pattern.compile("[\\x21-\\x7e]{1,255}");

    private final SpecReader reader;
    private final SpecIntake intake;
    private final Caller caller;
    private final NextPackVersionRebuilds nextPackVersion;

    public SpecResource(SpecReader reader, SpecIntake intake, Caller caller, NextPackVersionRebuilds nextPackVersion) {
        this.reader = reader;
        this.intake = intake;
        this.caller = caller;
        this.nextPackVersion = nextPackVersion;
    }

    /** The submitted spec and the builds it started (or, for an identical resubmission, already has). */
    public record Submission(String team, String name, int version, String digest, boolean newVersion,
            List<BuildView.Summary> builds) {

        static Submission of(SpecIntake.Accepted accepted) {
            return new Submission(accepted.spec().team, accepted.spec().name, accepted.spec().version,
                    accepted.spec().digest, accepted.newVersion(),
                    accepted.builds().stream().map(BuildView.Summary::of).toList());
        }
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Submit an image spec (YAML or JSON); starts one build per target")
    @RequestBody(description = "An ImageSpec document, application/yaml or application/json")
    public Uni<Response> submit(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Parameter(description = "Build every target again even if an identical spec is already published "
                    + "(otherwise such targets get a REUSED build pointing at the published artifact and pack)")
            @QueryParam("force") boolean force,
            byte[] body) {
        // Parse and validate before touching the database: a rejected spec writes nothing.
        ImageSpec spec = reader.read(body, formatOf(contentType));
        caller.requireTeam(spec.metadata().team());
        var accepting = idempotencyKey == null ? intake.accept(spec, force, BuildTrigger.MANUAL)
                : intake.accept(spec, checkKey(idempotencyKey), force, BuildTrigger.MANUAL);
        return accepting.map(accepted -> {
            Submission submission = Submission.of(accepted);
            return Response.status(accepted.newVersion() ? Response.Status.CREATED : Response.Status.OK)
                    .location(URI.create("/api/v1/specs/" + accepted.spec().name + "/versions/" + accepted.spec().version))
                    .entity(submission)
                    .build();
        });
    }

    @POST
    @Path("/{name}/rebuilds")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Caller.SUBMITTER, Caller.ADMIN })
    @Operation(summary = "Rebuild a spec now as its next pack version (per spec.pack.versionPolicy): what a "
            + "schedule does, on demand; the way to replace a revoked pack version")
    public Uni<Response> rebuildNextPackVersion(@PathParam("name") String name, @QueryParam("team") String team) {
        if (team == null || team.isBlank()) {
            throw new BadRequestException("?team= is required: a spec name is its team's own");
        }
        caller.requireTeam(team);
        return nextPackVersion.rebuild(team, name, BuildTrigger.MANUAL)
                .map(accepted -> Response.status(Response.Status.ACCEPTED)
                        .location(URI.create("/api/v1/specs/" + name + "/versions/" + accepted.spec().version))
                        .entity(Submission.of(accepted)).build());
    }

    /** The outcome of a dry run: the spec as it would be stored, with defaults applied. */
    public record Validation(boolean valid, String digest, ImageSpec spec) {
    }

    @POST
    @Path("/validate")
    @RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Dry run: validate a spec and show it with defaults applied; stores nothing")
    @RequestBody(description = "An ImageSpec document, application/yaml or application/json")
    public Validation validate(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        ImageSpec spec = reader.read(body, formatOf(contentType));
        return new Validation(true, CanonicalSpecs.sha256(CanonicalSpecs.canonicalJson(spec)), spec);
    }

    private static String checkKey(String key) {
        if (!IDEMPOTENCY_KEY_FORMAT.matcher(key).matches()) {
            throw new SpecRejectedException(List.of(new Violation("", Violation.INVALID_FORMAT,
                    "the " + IDEMPOTENCY_KEY + " header must be 1 to 255 visible ASCII characters")));
        }
        return key;
    }

    static SpecParser.Format formatOf(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return SpecParser.Format.YAML;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase();
        return switch (mediaType) {
            case "application/json" -> SpecParser.Format.JSON;
            case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain" ->
                SpecParser.Format.YAML;
            default -> throw new SpecRejectedException(List.of(new Violation("",
                    Violation.UNSUPPORTED_MEDIA_TYPE, "Content-Type " + mediaType
                            + " is not accepted; send application/yaml or application/json")));
        };
    }
}
