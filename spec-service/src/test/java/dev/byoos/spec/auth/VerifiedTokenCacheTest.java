package dev.byoos.spec.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;

import dev.byoos.localauth.LocalTokens;

/** The cache's security properties, against SmallRye JWT's real parser and RS256 tokens. */
class VerifiedTokenCacheTest {

    private static final Duration MAX_AGE = Duration.ofHours(12);

    @TempDir
    static Path keys;
    private static LocalTokens tokens;
    private static DefaultJWTParser parser;

    private final MovableClock clock = new MovableClock(Instant.now());
    private final AtomicInteger verifications = new AtomicInteger();
    private VerifiedTokenCache cache;

    @BeforeAll
    static void keys() throws IOException {
        tokens = LocalTokens.in(keys);
        JWTAuthContextInfo context = new JWTAuthContextInfo("file:" + tokens.publicKeyFile(), LocalTokens.ISSUER);
        context.setExpectedAudience(Set.of(LocalTokens.AUDIENCE));
        context.setTokenAge(MAX_AGE.toSeconds());
        parser = new DefaultJWTParser(context);
    }

    @BeforeEach
    void cache() {
        cache = new VerifiedTokenCache(100, MAX_AGE, clock);
    }

    /** The real parser, counted; refuses what it would refuse at the test clock's time as well. */
    private JsonWebToken verify(String raw) throws ParseException {
        verifications.incrementAndGet();
        JsonWebToken token = parser.parse(raw);
        if (clock.instant().getEpochSecond() >= token.getExpirationTime()) {
            throw new ParseException("the token expired at " + token.getExpirationTime());
        }
        return token;
    }

    private String mint(String subject, Instant issuedAt, Duration ttl) {
        return tokens.mint(subject, List.of("team-a"), List.of("submitter"), LocalTokens.AUDIENCE, issuedAt, ttl);
    }

    @Test
    void aRepeatedTokenIsVerifiedOnce() throws ParseException {
        String token = mint("alice", Instant.now(), Duration.ofHours(1));

        assertEquals("alice", cache.parse(token, this::verify).getName());
        assertEquals("alice", cache.parse(token, this::verify).getName());

        assertEquals(1, verifications.get());
    }

    @Test
    void anExpiredTokenIsRefusedEvenThoughItWasCached() throws ParseException {
        String token = mint("alice", Instant.now(), Duration.ofMinutes(1));
        cache.parse(token, this::verify);

        clock.advance(Duration.ofMinutes(1).plusSeconds(1));

        assertThrows(ParseException.class, () -> cache.parse(token, this::verify));
        assertEquals(2, verifications.get());
        assertEquals(0, cache.size());
    }

    @Test
    void aTokenPastItsMaximumAgeIsVerifiedAgainThoughNotExpired() throws ParseException {
        String token = mint("alice", Instant.now().minus(MAX_AGE).plusSeconds(60), Duration.ofDays(1));
        cache.parse(token, this::verify);

        clock.advance(Duration.ofSeconds(61));
        assertThrows(ParseException.class, () -> cache.parse(token, raw -> {
            verifications.incrementAndGet();
            throw new ParseException("older than the maximum age");
        }));

        assertEquals(2, verifications.get());
    }

    @Test
    void aLongLivedTokenIsVerifiedAgainAfterTheRecheckTime() throws ParseException {
        String token = mint("alice", Instant.now(), Duration.ofHours(1));
        cache.parse(token, this::verify);

        clock.advance(VerifiedTokenCache.RECHECK_AFTER.plusSeconds(1));
        cache.parse(token, this::verify);

        assertEquals(2, verifications.get());
    }

    @Test
    void aTamperedCopyOfACachedTokenIsNeverAccepted() throws ParseException {
        String token = mint("alice", Instant.now(), Duration.ofHours(1));
        cache.parse(token, this::verify);
        String[] parts = token.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String admin = claims.replace("\"groups\":[\"submitter\"]", "\"groups\":[\"admin\"]");
        assertNotEquals(claims, admin);
        String editedClaims = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(admin.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        char last = parts[2].charAt(parts[2].length() - 2);
        String editedSignature = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 2)
                + (last == 'A' ? 'B' : 'A') + parts[2].charAt(parts[2].length() - 1);

        assertThrows(ParseException.class, () -> cache.parse(editedClaims, this::verify));
        assertThrows(ParseException.class, () -> cache.parse(editedSignature, this::verify));
        assertEquals(1, cache.size());
    }

    @Test
    void aRefusedTokenIsNotCachedAndIsVerifiedEveryTime() {
        String otherAudience = tokens.mint("mallory", List.of("team-a"), List.of("admin"), "another-system",
                Instant.now(), Duration.ofHours(1));

        assertThrows(ParseException.class, () -> cache.parse(otherAudience, this::verify));
        assertThrows(ParseException.class, () -> cache.parse(otherAudience, this::verify));

        assertEquals(2, verifications.get());
        assertEquals(0, cache.size());
    }

    @Test
    void theCacheHoldsNoMoreThanItsCapacity() throws ParseException {
        VerifiedTokenCache small = new VerifiedTokenCache(2, MAX_AGE, clock);
        List<String> three = List.of(mint("a", Instant.now(), Duration.ofHours(1)),
                mint("b", Instant.now(), Duration.ofHours(1)), mint("c", Instant.now(), Duration.ofHours(1)));

        for (String token : three) {
            assertNotNull(small.parse(token, this::verify));
        }
        small.parse(three.get(2), this::verify);

        assertEquals(2, small.size());
        assertEquals(4, verifications.get());
    }

    @Test
    void expiredEntriesMakeRoomForNewTokens() throws ParseException {
        VerifiedTokenCache small = new VerifiedTokenCache(1, MAX_AGE, clock);
        small.parse(mint("a", Instant.now(), Duration.ofMinutes(1)), this::verify);
        clock.advance(Duration.ofMinutes(2));
        String next = mint("b", Instant.now(), Duration.ofHours(1));

        small.parse(next, this::verify);
        small.parse(next, this::verify);

        // The first token's entry expired and was dropped, so the second one was stored and served.
        assertEquals(2, verifications.get());
        assertEquals(1, small.size());
    }

    private static final class MovableClock extends Clock {
        private Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
