package dev.byoos.spec.rest;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.smallrye.mutiny.Uni;

import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.service.SpecIntake;

/**
 * Webhooks from other systems (a Git host, a CI server) that rebuild a named spec. The caller is
 * authenticated by an HMAC-SHA256 of the exact request body with the source's shared secret, in
 * GitHub's {@code X-Hub-Signature-256: sha256=<hex>} convention, not by a bearer token: the body
 * is not interpreted, so any event of the sender (a push, a release) can trigger the rebuild.
 */
@Path("/api/v1/hooks")
@PermitAll
public class HookResource {

    public static final String SIGNATURE_HEADER = "X-Hub-Signature-256";
    /** GitHub's id of one delivery; a redelivery repeats it, so it keys idempotency. */
    public static final String DELIVERY_HEADER = "X-GitHub-Delivery";
    public static final String EVENT_HEADER = "X-GitHub-Event";

    private final SpecServiceConfig config;
    private final SpecIntake intake;

    public HookResource(SpecServiceConfig config, SpecIntake intake) {
        this.config = config;
        this.intake = intake;
    }

    public record Ping(String source, String message) {
    }

    @POST
    @Path("/{source}")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rebuild the latest version of a spec (team and spec query parameters), signed with the "
            + "source's HMAC-SHA256 secret in X-Hub-Signature-256")
    public Uni<Response> trigger(@PathParam("source") String source, @QueryParam("team") String team,
            @QueryParam("spec") String spec, @QueryParam("force") boolean force,
            @HeaderParam(SIGNATURE_HEADER) String signature, @HeaderParam(DELIVERY_HEADER) String delivery,
            @HeaderParam(EVENT_HEADER) String event, byte[] body) {
        SpecServiceConfig.Hook hook = config.hooks().get(source);
        // One answer for an unknown source and a bad signature: callers cannot probe for sources.
        if (hook == null || !signatureMatches(hook.secret(), body, signature)) {
            throw new HookUnauthorizedException("unknown webhook source '" + source + "' or missing/invalid "
                    + SIGNATURE_HEADER + " (expected sha256=<hex HMAC-SHA256 of the body with the source's secret>)");
        }
        if ("ping".equals(event)) {
            return Uni.createFrom().item(Response.ok(new Ping(source, "signature verified")).build());
        }
        if (team == null || team.isBlank() || spec == null || spec.isBlank()) {
            throw new jakarta.ws.rs.BadRequestException("the team and spec query parameters name the spec to rebuild");
        }
        if (!hook.teams().contains(team)) {
            throw new jakarta.ws.rs.ForbiddenException("webhook source '" + source + "' may not rebuild specs of team "
                    + team + "; allowed: " + hook.teams());
        }
        String idempotencyKey = delivery == null || delivery.isBlank() ? null : "hook:" + source + ":" + delivery;
        return intake.rebuild(team, spec, force, idempotencyKey)
                .map(accepted -> Response.accepted(SpecResource.Submission.of(accepted)).build());
    }

    static boolean signatureMatches(String secret, byte[] body, String header) {
        if (header == null || !header.startsWith("sha256=")) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring("sha256=".length()).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        // Constant-time comparison: the time taken must not reveal how much of a guess was right.
        return MessageDigest.isEqual(hmacSha256(secret, body), given);
    }

    public static byte[] hmacSha256(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** A webhook call that could not be authenticated (HTTP 401). */
    public static class HookUnauthorizedException extends RuntimeException {
        public HookUnauthorizedException(String message) {
            super(message);
        }
    }
}
