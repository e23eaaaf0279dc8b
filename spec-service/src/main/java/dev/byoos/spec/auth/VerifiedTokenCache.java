package dev.byoos.spec.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.smallrye.jwt.auth.principal.ParseException;

/**
 * Bearer tokens that already passed full verification (signature, issuer, audience, expiry, age),
 * so a client sending the same token on every request pays for the RS256 check once instead of per
 * request. Only a token the verifier accepted is ever stored, keyed by the SHA-256 of its exact
 * bytes: a token differing in any character (a forged signature, an edited claim) is another key
 * and goes through the verifier. An entry answers only while the token is still inside its
 * {@code exp}, inside the maximum token age counted from its {@code iat}, and for at most
 * {@link #RECHECK_AFTER} after it was verified (so a verification key taken out of service stops
 * being honoured within that time); after that the token is verified again. The number of entries is
 * bounded: when full, expired entries are dropped and, if it is still full, a new token is verified
 * but not stored.
 */
public final class VerifiedTokenCache {

    /** A verified token is verified again at least this often, whatever its expiry. */
    public static final Duration RECHECK_AFTER = Duration.ofMinutes(5);

    /** Full verification of a raw token: throws when any check fails. */
    @FunctionalInterface
    public interface Verifier {
        JsonWebToken verify(String rawToken) throws ParseException;
    }

    private record Entry(JsonWebToken token, long validUntilMillis) {
    }

    private final ConcurrentHashMap<String, Entry> verified = new ConcurrentHashMap<>();
    private final int capacity;
    private final Duration maxTokenAge;
    private final Clock clock;

    /**
     * @param capacity    the most tokens held at once
     * @param maxTokenAge the verifier's maximum age of a token counted from its {@code iat}
     */
    public VerifiedTokenCache(int capacity, Duration maxTokenAge, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a token cache holds at least one token, not " + capacity);
        }
        this.capacity = capacity;
        this.maxTokenAge = maxTokenAge;
        this.clock = clock;
    }

    /** The verified token for {@code rawToken}: from the cache while still valid, otherwise from {@code verifier}. */
    public JsonWebToken parse(String rawToken, Verifier verifier) throws ParseException {
        String key = digest(rawToken);
        long now = clock.millis();
        Entry entry = verified.get(key);
        if (entry != null) {
            if (now < entry.validUntilMillis()) {
                return entry.token();
            }
            verified.remove(key, entry);
        }
        JsonWebToken token = verifier.verify(rawToken);
        remember(key, token, now);
        return token;
    }

    /** How many tokens the cache holds now. */
    public int size() {
        return verified.size();
    }

    private void remember(String key, JsonWebToken token, long now) {
        long validUntil = validUntil(token, now);
        if (validUntil <= now) {
            return;
        }
        if (verified.size() >= capacity) {
            verified.values().removeIf(entry -> entry.validUntilMillis() <= now);
            if (verified.size() >= capacity) {
                return;
            }
        }
        verified.put(key, new Entry(token, validUntil));
    }

    /** The earliest of expiry, issue time plus maximum age, and the recheck time; now for a token lacking either claim. */
    private long validUntil(JsonWebToken token, long now) {
        long expiresAt = token.getExpirationTime();
        long issuedAt = token.getIssuedAtTime();
        if (expiresAt <= 0 || issuedAt <= 0) {
            return now;
        }
        long until = Math.min(expiresAt * 1000, (issuedAt + maxTokenAge.toSeconds()) * 1000);
        return Math.min(until, now + RECHECK_AFTER.toMillis());
    }

    private static String digest(String rawToken) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(rawToken.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
