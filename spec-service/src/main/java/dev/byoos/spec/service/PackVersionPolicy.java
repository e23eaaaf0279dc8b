package dev.byoos.spec.service;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pack version a rebuild the factory starts itself publishes, per the spec's
 * {@code pack.versionPolicy}: {@code patch} bumps the patch (1.0.0 → 1.0.1), {@code minor} the
 * minor and resets the patch (1.0.0 → 1.1.0). A pre-release suffix is dropped (1.0.0-rc.1 → 1.0.1):
 * an unattended rebuild is a release, and bumping keeps it above the pre-release it replaces.
 */
final class PackVersionPolicy {

    static final String PATCH = "patch";
    static final String MINOR = "minor";

    /** The schema's pack.version pattern, without the pre-release part's details. */
    private static final Pattern SEMVER = Pattern.compile("(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-.+)?");

    private PackVersionPolicy() {
    }

    /** @throws IllegalArgumentException for a version or policy the schema does not allow (stored specs passed it) */
    static String next(String version, String policy) {
        Matcher matcher = SEMVER.matcher(version);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("pack version " + version + " is not a semantic version");
        }
        long major = Long.parseLong(matcher.group(1));
        long minor = Long.parseLong(matcher.group(2));
        long patch = Long.parseLong(matcher.group(3));
        return switch (policy) {
            case PATCH -> major + "." + minor + "." + (patch + 1);
            case MINOR -> major + "." + (minor + 1) + ".0";
            default -> throw new IllegalArgumentException("unknown pack version policy " + policy);
        };
    }
}
