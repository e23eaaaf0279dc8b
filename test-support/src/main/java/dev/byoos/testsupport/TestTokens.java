package dev.byoos.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.byoos.localauth.LocalSigningKeys;
import dev.byoos.localauth.LocalTokens;

/**
 * Bearer tokens (and the artifact signing key) for tests, signed with a key pair under the module's target/ directory; the
 * {@link DevStackResource} points the service under test at the matching public key.
 */
public final class TestTokens {

    private static final Path KEYS = Path.of("target", "test-auth");
    private static final Path SIGNING_KEYS = Path.of("target", "test-signing");

    private TestTokens() {
    }

    public static LocalTokens issuer() {
        try {
            return LocalTokens.in(KEYS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The artifact signing key pair of this module's tests, under target/. */
    public static LocalSigningKeys signingKeys() {
        try {
            return LocalSigningKeys.in(SIGNING_KEYS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A token of {@code subject} for {@code teams} with {@code role} (viewer, submitter or admin). */
    public static String token(String subject, String role, String... teams) {
        return issuer().mint(subject, List.of(teams), List.of(role), Duration.ofHours(1));
    }

    /** An {@code Authorization} header value. */
    public static String bearer(String subject, String role, String... teams) {
        return "Bearer " + token(subject, role, teams);
    }
}
