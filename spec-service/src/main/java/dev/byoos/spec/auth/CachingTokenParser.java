package dev.byoos.spec.auth;

import java.time.Clock;
import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.decorator.Decorator;
import jakarta.decorator.Delegate;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;

/**
 * Puts a {@link VerifiedTokenCache} in front of SmallRye JWT's parser, which both the REST API's
 * bearer authentication and the Kafka intake's ({@code SubmissionAuthenticator}) verify tokens
 * with: a client repeating its token costs one RS256 verification per token, not per request.
 * Only {@link #parse(String)} (verification with the configured key, issuer, audience and age) is
 * cached; every other method goes to the parser as it is.
 */
@Decorator
@Priority(10)
public abstract class CachingTokenParser implements JWTParser {

    /** Distinct tokens held at once; a token is a few hundred bytes plus its parsed claims. */
    static final int CAPACITY = 10_000;

    private final JWTParser parser;
    private final VerifiedTokenCache cache;

    @Inject
    CachingTokenParser(@Delegate JWTParser parser,
            @ConfigProperty(name = "byoos.auth.max-token-age") long maxTokenAgeSeconds) {
        this.parser = parser;
        this.cache = new VerifiedTokenCache(CAPACITY, Duration.ofSeconds(maxTokenAgeSeconds), Clock.systemUTC());
    }

    @Override
    public JsonWebToken parse(String token) throws ParseException {
        return cache.parse(token, parser::parse);
    }
}
