package dev.byoos.spec.rest;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.service.HookDeliveries;
import dev.byoos.spec.service.SpecIntake;

/**
 * Webhooks from other systems (a CI server, a Git host) that rebuild a named spec. The caller is
 * authenticated by an HMAC-SHA256 with the source's shared secret, not by a bearer token, and no
 * delivery counts twice (docs/webhooks.md):
 * <ul>
 * <li>scheme {@code byoos}: the signature covers method, path, query, a timestamp, a delivery id and
 * the body, so nothing of the request can be changed; a timestamp outside the window, or a delivery
 * id already seen for the source, is refused.</li>
 * <li>scheme {@code github}: GitHub signs only the body ({@code X-Hub-Signature-256}), so the query
 * is refused and the spec is fixed in the source's configuration; the body's digest serves as the
 * delivery id (the {@code X-GitHub-Delivery} header is not signed), kept for {@link #GITHUB_BODY_RETENTION}.</li>
 * </ul>
 */
@Path("/api/v1/hooks")
@PermitAll
public class HookResource {

    public static final String SIGNATURE_HEADER = "X-Byoos-Signature";
    public static final String TIMESTAMP_HEADER = "X-Byoos-Timestamp";
    public static final String DELIVERY_HEADER = "X-Byoos-Delivery";
    public static final String GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256";
    public static final String GITHUB_EVENT_HEADER = "X-GitHub-Event";
    /**
     * How long a GitHub body is remembered. GitHub signs no timestamp, so a body replayed after this
     * would be accepted: it can only rebuild the source's one configured spec without force, which
     * reuses what is published and builds again only what failed.
     */
    static final Duration GITHUB_BODY_RETENTION = Duration.ofDays(30);

    private final SpecServiceConfig config;
    private final SpecIntake intake;
    private final HookDeliveries deliveries;

    public HookResource(SpecServiceConfig config, SpecIntake intake, HookDeliveries deliveries) {
        this.config = config;
        this.intake = intake;
        this.deliveries = deliveries;
    }

    public record Ping(String source, String message) {
    }

    @POST
    @Path("/{source}")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rebuild the latest version of a spec, signed with the source's HMAC-SHA256 secret: "
            + "X-Byoos-Signature over method, path, query, X-Byoos-Timestamp, X-Byoos-Delivery and body "
            + "(or GitHub's X-Hub-Signature-256 for a source of scheme github)")
    public Uni<Response> trigger(@PathParam("source") String source, @QueryParam("team") String team,
            @QueryParam("spec") String spec, @QueryParam("force") boolean force, @Context UriInfo uri,
            @HeaderParam(SIGNATURE_HEADER) String signature, @HeaderParam(TIMESTAMP_HEADER) String timestamp,
            @HeaderParam(DELIVERY_HEADER) String delivery, @HeaderParam(GITHUB_SIGNATURE_HEADER) String githubSignature,
            @HeaderParam(GITHUB_EVENT_HEADER) String githubEvent, byte[] body) {
        SpecServiceConfig.Hook hook = config.hooks().get(source);
        String rawQuery = uri.getRequestUri().getRawQuery();
        if (hook != null && hook.scheme() == SpecServiceConfig.HookScheme.GITHUB) {
            return github(source, hook, rawQuery, githubSignature, githubEvent, body);
        }
        // One answer for an unknown source and a bad signature: callers cannot probe for sources.
        if (hook == null || timestamp == null || delivery == null
                || !signatureMatches(hook.secret(),
                        signedRequest(uri.getRequestUri().getRawPath(), rawQuery, timestamp, delivery, body), signature, "v1=")) {
            throw new HookUnauthorizedException("unknown webhook source '" + source + "' or missing/invalid "
                    + SIGNATURE_HEADER + " (expected v1=<hex HMAC-SHA256 of \"POST\\n<path>\\n<query>\\n<"
                    + TIMESTAMP_HEADER + ">\\n<" + DELIVERY_HEADER + ">\\n<body>\" with the source's secret>)");
        }
        Instant sent = sentAt(timestamp);
        Duration window = config.hookWindow();
        if (Duration.between(sent, Instant.now()).abs().compareTo(window) > 0) {
            throw new HookUnauthorizedException(TIMESTAMP_HEADER + " " + timestamp + " is more than " + window
                    + " from the service's clock: a delivery is valid only within that window (check the sender's clock)");
        }
        if (team == null || team.isBlank() || spec == null || spec.isBlank()) {
            throw new BadRequestException("the team and spec query parameters name the spec to rebuild");
        }
        requireTeam(source, hook, team);
        return once(source, delivery, OffsetDateTime.ofInstant(sent.plus(window), ZoneOffset.UTC))
                .flatMap(first -> rebuild(team, spec, force));
    }

    private Uni<Response> github(String source, SpecServiceConfig.Hook hook, String rawQuery, String signature,
            String event, byte[] body) {
        if (!signatureMatches(hook.secret(), body, signature, "sha256=")) {
            throw new HookUnauthorizedException("unknown webhook source '" + source + "' or missing/invalid "
                    + GITHUB_SIGNATURE_HEADER + " (expected sha256=<hex HMAC-SHA256 of the body with the source's secret>)");
        }
        if ("ping".equals(event)) {
            return Uni.createFrom().item(Response.ok(new Ping(source, "signature verified")).build());
        }
        if (rawQuery != null && !rawQuery.isEmpty()) {
            throw new BadRequestException("GitHub signs only the body, so source '" + source + "' takes no query: "
                    + "the spec it rebuilds is byoos.spec.hooks." + source + ".spec");
        }
        String[] target = hook.spec().map(value -> value.split("/", 2)).filter(parts -> parts.length == 2)
                .orElseThrow(() -> new ForbiddenException("webhook source '" + source + "' names no spec to rebuild: "
                        + "set byoos.spec.hooks." + source + ".spec=<team>/<name>"));
        requireTeam(source, hook, target[0]);
        String bodyDigest = "sha256:" + HexFormat.of().formatHex(sha256(body));
        return once(source, bodyDigest, OffsetDateTime.now(ZoneOffset.UTC).plus(GITHUB_BODY_RETENTION))
                .flatMap(first -> rebuild(target[0], target[1], false));
    }

    private Uni<Boolean> once(String source, String delivery, OffsetDateTime keepUntil) {
        return deliveries.firstSeen(source, delivery, keepUntil).invoke(first -> {
            if (!first) {
                throw new HookReplayedException("delivery " + delivery + " of webhook source '" + source
                        + "' was already received; a new delivery needs a new id, timestamp and signature");
            }
        });
    }

    private Uni<Response> rebuild(String team, String spec, boolean force) {
        return intake.rebuild(team, spec, force, null, BuildTrigger.WEBHOOK)
                .map(accepted -> Response.accepted(SpecResource.Submission.of(accepted)).build());
    }

    private static void requireTeam(String source, SpecServiceConfig.Hook hook, String team) {
        if (!hook.teams().contains(team)) {
            throw new ForbiddenException("webhook source '" + source + "' may not rebuild specs of team " + team
                    + "; allowed: " + hook.teams());
        }
    }

    private static Instant sentAt(String timestamp) {
        try {
            return Instant.ofEpochSecond(Long.parseLong(timestamp.trim()));
        } catch (NumberFormatException e) {
            throw new HookUnauthorizedException(TIMESTAMP_HEADER + " must be the Unix time in seconds, not '"
                    + timestamp + "'");
        }
    }

    static boolean signatureMatches(String secret, byte[] signed, String header, String prefix) {
        if (header == null || !header.startsWith(prefix)) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring(prefix.length()).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        // Constant-time comparison: the time taken must not reveal how much of a guess was right.
        return MessageDigest.isEqual(hmacSha256(secret, signed), given);
    }

    /** What a {@code byoos} scheme sender signs, for a request with these parts. */
    public static byte[] signedRequest(String rawPath, String rawQuery, String timestamp, String delivery, byte[] body) {
        return concat("POST\n" + rawPath + "\n" + (rawQuery == null ? "" : rawQuery) + "\n" + timestamp + "\n"
                + delivery + "\n", body);
    }

    private static byte[] concat(String head, byte[] body) {
        byte[] start = head.getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[start.length + body.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(body, 0, all, start.length, body.length);
        return all;
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

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** A webhook call that could not be authenticated (HTTP 401). */
    public static class HookUnauthorizedException extends RuntimeException {
        public HookUnauthorizedException(String message) {
            super(message);
        }
    }

    /** A webhook delivery already received (HTTP 409): a replay, or a sender's retry under the same id. */
    public static class HookReplayedException extends RuntimeException {
        public HookReplayedException(String message) {
            super(message);
        }
    }
}
