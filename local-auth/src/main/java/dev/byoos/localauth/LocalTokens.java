package dev.byoos.localauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The local stack's token issuer: an RSA key pair kept in the stack's data directory, whose public
 * half spec-service verifies bearer tokens with, and a minter of RS256 JWTs carrying a subject,
 * teams ({@value #TEAMS_CLAIM}) and roles ({@code groups}, which SmallRye JWT maps to roles).
 * Production deployments use their identity provider instead; only the issuer and key location
 * change. Tests mint their own tokens with it as well.
 */
public final class LocalTokens {

    public static final String ISSUER = "https://byoos.dev/local-stack";
    public static final String TEAMS_CLAIM = "teams";
    /** The audience the services accept by default ({@code byoos.auth.audience}). */
    public static final String AUDIENCE = "byoos-factory";
    private static final String PRIVATE_KEY_FILE = "jwt-signing-key.pem";
    private static final String PUBLIC_KEY_FILE = "jwt-verification-key.pem";
    /** Subjects, teams and roles are plain names; refusing anything else keeps the JSON trivially safe. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    private final Path publicKeyFile;
    private final PrivateKey signingKey;

    private LocalTokens(Path publicKeyFile, PrivateKey signingKey) {
        this.publicKeyFile = publicKeyFile;
        this.signingKey = signingKey;
    }

    /** Loads the key pair from {@code dir}, creating it on first use. */
    public static synchronized LocalTokens in(Path dir) throws IOException {
        Path privateFile = dir.resolve(PRIVATE_KEY_FILE);
        Path publicFile = dir.resolve(PUBLIC_KEY_FILE);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPairFiles.ensure(privateFile, publicFile, generator);
            PrivateKey key = KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(KeyPairFiles.read(privateFile)));
            return new LocalTokens(publicFile, key);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot create or read the local token keys in " + dir, e);
        }
    }

    /** The PEM public key spec-service verifies tokens with ({@code mp.jwt.verify.publickey.location}). */
    public Path publicKeyFile() {
        return publicKeyFile;
    }

    /**
     * @param roles any of {@code viewer}, {@code submitter}, {@code admin}
     * @return a signed JWT for the services' audience ({@value #AUDIENCE}), issued now, valid for {@code ttl}
     */
    public String mint(String subject, Collection<String> teams, Collection<String> roles, Duration ttl) {
        return mint(subject, teams, roles, AUDIENCE, Instant.now(), ttl);
    }

    /**
     * @param audience the {@code aud} claim: whom the token is meant for
     * @param issuedAt the {@code iat} claim; the services refuse tokens older than their maximum age
     * @return a signed JWT, valid from {@code issuedAt} for {@code ttl}
     */
    public String mint(String subject, Collection<String> teams, Collection<String> roles, String audience,
            Instant issuedAt, Duration ttl) {
        check(subject);
        check(audience);
        teams.forEach(LocalTokens::check);
        roles.forEach(LocalTokens::check);
        String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":\"" + ISSUER + "\",\"aud\":\"" + audience + "\",\"sub\":\"" + subject
                + "\",\"upn\":\"" + subject + "\""
                + ",\"" + TEAMS_CLAIM + "\":" + array(teams) + ",\"groups\":" + array(roles)
                + ",\"iat\":" + issuedAt.getEpochSecond() + ",\"exp\":" + issuedAt.plus(ttl).getEpochSecond()
                + ",\"jti\":\"" + UUID.randomUUID() + "\"}";
        String signingInput = base64Url(header.getBytes(StandardCharsets.UTF_8)) + "."
                + base64Url(claims.getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(signingKey);
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + base64Url(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA256withRSA is part of every Java runtime", e);
        }
    }

    private static void check(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a plain name (letters, digits, . _ @ -)");
        }
    }

    private static String array(Collection<String> values) {
        return values.stream().map(value -> "\"" + value + "\"").collect(Collectors.joining(",", "[", "]"));
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
