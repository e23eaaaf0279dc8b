package dev.byoos.spec.messaging;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;

import dev.byoos.service.Caller;
import dev.byoos.service.TeamScope;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.rest.HookResource;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;

/**
 * Who sent a spec submission event. Identity comes from a credential the event carries, never from
 * the spec document: either a bearer token in the {@value #AUTHORIZATION} extension attribute,
 * verified by the same parser, key, issuer, audience and age rules as the REST API and allowed to
 * submit by the same roles, or a signature in the {@value #SIGNATURE} extension attribute by a
 * source registered under {@code byoos.spec.intake-sources}. Anything else is UNAUTHENTICATED.
 */
@ApplicationScoped
public class SubmissionAuthenticator {

    /** CloudEvents extension attribute (Kafka header {@code ce_authorization}): {@code Bearer <JWT>}. */
    public static final String AUTHORIZATION = "authorization";
    /** CloudEvents extension attribute (Kafka header {@code ce_signature}): {@code hmac-sha256=<base64>} or {@code ed25519=<base64>}. */
    public static final String SIGNATURE = "signature";
    static final String HMAC_PREFIX = "hmac-sha256=";
    static final String ED25519_PREFIX = "ed25519=";
    private static final Set<String> SUBMITTING_ROLES = Set.of(Caller.SUBMITTER, Caller.ADMIN);

    private final JWTParser tokens;
    private final SpecServiceConfig config;

    public SubmissionAuthenticator(JWTParser tokens, SpecServiceConfig config) {
        this.tokens = tokens;
        this.config = config;
    }

    /**
     * A verified submitter: may submit for the teams of {@code scope} when {@code maySubmit}.
     *
     * @param principal the token's subject or the registered source's name, for the log and messages
     */
    public record Submitter(String principal, TeamScope scope, boolean maySubmit) {

        /** @throws SpecRejectedException FORBIDDEN when this submitter may not submit a spec of {@code team} */
        public void requireSubmitterFor(String team) {
            if (!maySubmit) {
                throw refused(Violation.FORBIDDEN, principal + " may not submit specs: the token's roles "
                        + "(groups claim) include neither submitter nor admin");
            }
            if (!scope.includes(team)) {
                throw refused(Violation.FORBIDDEN, principal + " may not submit specs for team '" + team
                        + "' (the spec's metadata.team)");
            }
        }
    }

    /** @throws SpecRejectedException UNAUTHENTICATED when the event carries no credential that verifies */
    public Submitter authenticate(SpecSubmissionConsumer.Submission submission) {
        if (submission.authorization() != null) {
            return bearer(submission.authorization());
        }
        if (submission.signature() != null) {
            return signed(submission);
        }
        throw refused(Violation.UNAUTHENTICATED, "the event carries no credential: send a bearer token in the '"
                + AUTHORIZATION + "' extension attribute (Kafka header ce_" + AUTHORIZATION + ": Bearer <JWT>) or a "
                + "registered source's signature in '" + SIGNATURE + "'; see README, 'Submitting from other systems'");
    }

    private Submitter bearer(String authorization) {
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, "Bearer ".length())) {
            throw refused(Violation.UNAUTHENTICATED, "the '" + AUTHORIZATION + "' attribute must be 'Bearer <JWT>'");
        }
        JsonWebToken token;
        try {
            token = tokens.parse(authorization.substring("Bearer ".length()).trim());
        } catch (ParseException e) {
            // The parser's reason names the failed check (signature, issuer, audience, expiry, age).
            throw refused(Violation.UNAUTHENTICATED, "the bearer token does not verify: " + e.getMessage());
        }
        String subject = token.getName() == null ? token.getSubject() : token.getName();
        boolean maySubmit = token.getGroups().stream().anyMatch(SUBMITTING_ROLES::contains);
        return new Submitter(subject, Caller.scopeOf(token), maySubmit);
    }

    private Submitter signed(SpecSubmissionConsumer.Submission submission) {
        var registered = config.intakeSources().entrySet().stream()
                .filter(entry -> entry.getValue().source().equals(submission.source())).findFirst()
                .orElseThrow(() -> refused(Violation.UNAUTHENTICATED, "source '" + submission.source()
                        + "' is not registered to sign submissions (byoos.spec.intake-sources)"));
        if (submission.time() == null) {
            throw refused(Violation.UNAUTHENTICATED, "a signed submission must carry the CloudEvent time attribute");
        }
        if (!verifies(registered.getValue(), signedBytes(submission), submission.signature())) {
            throw refused(Violation.UNAUTHENTICATED, "the signature of source '" + submission.source()
                    + "' does not verify over id, source, type, time and data");
        }
        return new Submitter(registered.getKey(), new TeamScope(Set.copyOf(registered.getValue().teams()), false), true);
    }

    /**
     * What a source signs: {@code id\nsource\ntype\ntime\n} followed by the data exactly as sent (the
     * record value in binary mode, the data string in structured mode). Attributes holding a line
     * break are refused, so no two events share these bytes.
     */
    static byte[] signedBytes(SpecSubmissionConsumer.Submission submission) {
        List<String> attributes = List.of(submission.id(), submission.source(), submission.type(), submission.time());
        if (attributes.stream().anyMatch(value -> value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0)) {
            throw refused(Violation.UNAUTHENTICATED, "a signed submission's id, source, type and time hold no line breaks");
        }
        byte[] head = (String.join("\n", attributes) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] signed = new byte[head.length + submission.document().length];
        System.arraycopy(head, 0, signed, 0, head.length);
        System.arraycopy(submission.document(), 0, signed, head.length, submission.document().length);
        return signed;
    }

    private static boolean verifies(SpecServiceConfig.IntakeSource source, byte[] signed, String signature) {
        try {
            if (signature.startsWith(HMAC_PREFIX) && source.hmacSecret().isPresent()) {
                byte[] given = Base64.getDecoder().decode(signature.substring(HMAC_PREFIX.length()).trim());
                return MessageDigest.isEqual(HookResource.hmacSha256(source.hmacSecret().get(), signed), given);
            }
            if (signature.startsWith(ED25519_PREFIX) && source.ed25519PublicKey().isPresent()) {
                PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(
                        new X509EncodedKeySpec(Base64.getDecoder().decode(source.ed25519PublicKey().get().trim())));
                Signature verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(signed);
                return verifier.verify(Base64.getDecoder().decode(signature.substring(ED25519_PREFIX.length()).trim()));
            }
            return false;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            // Undecodable base64, a malformed key or signature: not verified, whoever is at fault.
            return false;
        }
    }

    private static SpecRejectedException refused(String code, String message) {
        return new SpecRejectedException(List.of(new Violation("", code, message)));
    }
}
